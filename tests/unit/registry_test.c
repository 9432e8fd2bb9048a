/* registry_test.c — the versioned model ops struct (models/model.h NPU_MODEL_ABI): a member of
 * a later version than the model's is never read (its default is used), a model newer than
 * the core opens, a model that sets no version is refused. */
#include "../../models/model.h"
#include "npusim_int.h"
#include "test.h"

static int check_called;
static int fake_check(const npu_program *p, const char *path, npu_err *err)
{
    (void)p, (void)path, (void)err;
    check_called++;
    return NPU_EFORMAT;
}

static const char *const mcu_only[] = {"mcu", NULL};
static const char *const keys[] = {"rows", NULL};

/* The example model's ops with every later member set, at version `abi`. */
static npu_model_ops ops_at(unsigned abi)
{
    const npu_model_ops *ex = npu_model_find("example", NULL);
    npu_model_ops o = *ex;
    o.abi = abi;
    o.array_keys = keys;
    o.array_fill_grows = true;
    o.host_engines = mcu_only;
    o.check = fake_check;
    o.weight_dtype = true;
    return o;
}

TEST(later_members_not_read)
{
    npu_model_ops v1 = ops_at(1);
    bool grows = true;
    CHECK(npu_model_array_keys(&v1, &grows) == NULL);
    CHECK(!grows);
    CHECK(strcmp(npu_model_host_engines(&v1)[0], "cpu") == 0); /* the default */
    CHECK(!npu_model_weight_dtype(&v1));
    check_called = 0;
    CHECK_EQ_INT(npu_model_check(&v1, NULL, "x.npuc", NULL), 0);
    CHECK_EQ_INT(check_called, 0);

    npu_model_ops v3 = ops_at(3); /* has check and the version-2 facts, not weight_dtype */
    CHECK(npu_model_array_keys(&v3, &grows) == keys);
    CHECK(grows);
    CHECK(strcmp(npu_model_host_engines(&v3)[0], "mcu") == 0);
    CHECK(!npu_model_weight_dtype(&v3));
    CHECK_EQ_INT(npu_model_check(&v3, NULL, "x.npuc", NULL), NPU_EFORMAT);
    CHECK_EQ_INT(check_called, 1);

    npu_model_ops now = ops_at(NPU_MODEL_ABI);
    CHECK(npu_model_weight_dtype(&now));
}

TEST(versions_open)
{
    const npu_model_ops *ex = npu_model_find("example", NULL);
    const npu_param_def *const t[] = {ex->params, npu_common_param_defs, npu_engine_param_defs};
    npu_err err = {0};
    npu_params *p = npu_params_new(t, 3, &err);
    CHECK(p != NULL);
    if (!p)
        return;
    unsigned versions[] = {1, NPU_MODEL_ABI, NPU_MODEL_ABI + 1};
    for (int i = 0; i < 3; i++) {
        npu_model_ops o = ops_at(versions[i]);
        npu_model m;
        CHECK_EQ_INT(npu_model_open(&m, &o, p, &err), 0);
        npu_model_close(&m);
    }
    npu_model_ops zero = ops_at(0);
    npu_model m;
    CHECK_EQ_INT(npu_model_open(&m, &zero, p, &err), NPU_EUNSUPPORTED);
    CHECK_CONTAINS(err.msg, "which version of npu_model_ops");
    npu_params_free(p);
}

int main(void)
{
    RUN(later_members_not_read);
    RUN(versions_open);
    return TEST_REPORT();
}
