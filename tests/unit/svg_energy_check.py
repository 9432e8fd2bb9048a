"""svg_energy_check.py CHART.svg RUN.csv — the energy chart of `npusim run --plot energy:` read
back with xml.etree: well formed, one labelled bar group per layer of the run's CSV, each bar's
segments summing to the layer's energy_uj, every bar at the same pixels per µJ."""
import csv
import re
import sys
import xml.etree.ElementTree as ET

NS = "{http://www.w3.org/2000/svg}"
root = ET.parse(sys.argv[1]).getroot()
rows = list(csv.DictReader(open(sys.argv[2])))
labels = [t for t in root.iter(NS + "text")
          if t.get("text-anchor") == "end" and t.find(NS + "title") is not None]
assert len(labels) == len(rows), (len(labels), len(rows))
seg = {}
for r in root.iter(NS + "rect"):
    t = r.find(NS + "title")
    if t is None:
        continue
    m = re.fullmatch(r"(.*): (\S+) ([0-9.e+-]+) \u00b5J \([0-9.]+%\)", t.text)
    assert m, t.text
    seg.setdefault(m.group(1), []).append((float(r.get("width")), float(m.group(3))))
assert seg
for row in rows:
    s = sum(e for _, e in seg.get(row["name"], []))
    assert abs(s - float(row["energy_uj"])) <= 1e-4 * max(1.0, s), (row["name"], s, row["energy_uj"])
ratios = [sum(w for w, _ in v) / sum(e for _, e in v) for v in seg.values()
          if sum(w for w, _ in v) > 20]
assert ratios and max(ratios) - min(ratios) < 0.02 * max(ratios), ratios
print("energy chart: %d layers, %d bars checked" % (len(rows), len(seg)))
