// The OpenBLAS kernel choice: feature sets to kernel names, what a process does with each
// environment (the user's OPENBLAS_CORETYPE wins), and the sgemm check that guards a choice.
#include <gtest/gtest.h>

#include <vector>

#include "scir/core/blas_kernel.h"

namespace scir {
namespace {

using Action = BlasKernelPlan::Action;

CpuFeatures avx512(bool bf16) {
  CpuFeatures f;
  f.avx = f.avx2 = f.fma = true;
  f.avx512f = f.avx512cd = f.avx512bw = f.avx512dq = f.avx512vl = true;
  f.avx512_bf16 = bf16;
  return f;
}

TEST(BlasKernel, FeatureSetsToKernelNames) {
  EXPECT_EQ(best_openblas_kernel(CpuFeatures{}), "");
  CpuFeatures avx;
  avx.avx = true;
  EXPECT_EQ(best_openblas_kernel(avx), "Sandybridge");
  CpuFeatures avx2_without_fma = avx;
  avx2_without_fma.avx2 = true;
  EXPECT_EQ(best_openblas_kernel(avx2_without_fma), "Sandybridge");
  CpuFeatures haswell = avx2_without_fma;
  haswell.fma = true;
  EXPECT_EQ(best_openblas_kernel(haswell), "Haswell");
  EXPECT_EQ(best_openblas_kernel(avx512(false)), "SkylakeX");
  EXPECT_EQ(best_openblas_kernel(avx512(true)), "Cooperlake");
  // AVX-512 F alone (Knights Landing) does not run the SkylakeX kernels.
  CpuFeatures foundation_only = haswell;
  foundation_only.avx512f = foundation_only.avx512cd = true;
  EXPECT_EQ(best_openblas_kernel(foundation_only), "Haswell");
  // bf16 without the rest of AVX-512 is not Cooperlake.
  CpuFeatures bf16_alone = haswell;
  bf16_alone.avx512_bf16 = true;
  EXPECT_EQ(best_openblas_kernel(bf16_alone), "Haswell");
}

TEST(BlasKernel, LevelsOrderTheKernelsAndIgnoreCase) {
  EXPECT_EQ(openblas_kernel_level("Prescott"), 0);
  EXPECT_EQ(openblas_kernel_level("Nehalem"), 0);
  EXPECT_LT(openblas_kernel_level("Sandybridge"), openblas_kernel_level("Haswell"));
  EXPECT_EQ(openblas_kernel_level("Zen"), openblas_kernel_level("Haswell"));
  EXPECT_LT(openblas_kernel_level("Haswell"), openblas_kernel_level("SkylakeX"));
  // Cooperlake's float32 kernels are SkylakeX's: OpenBLAS's SkylakeX is not replaced by it.
  EXPECT_EQ(openblas_kernel_level("SkylakeX"), openblas_kernel_level("Cooperlake"));
  EXPECT_EQ(openblas_kernel_level("skylakex"), openblas_kernel_level("SkylakeX"));
}

TEST(BlasKernel, GenericKernelOnAnAvx512CpuRequestsTheBest) {
  const BlasKernelPlan plan = plan_blas_kernel({}, "Prescott", avx512(true));
  EXPECT_EQ(plan.action, Action::kRequest);
  EXPECT_EQ(plan.kernel, "Cooperlake");
  EXPECT_EQ(plan_blas_kernel({}, "Prescott", avx512(false)).kernel, "SkylakeX");
}

TEST(BlasKernel, OpenBlasOwnChoiceIsKeptWhenNothingIsBetter) {
  EXPECT_EQ(plan_blas_kernel({}, "SkylakeX", avx512(false)).action, Action::kKeep);
  EXPECT_EQ(plan_blas_kernel({}, "SkylakeX", avx512(true)).action, Action::kKeep);
  EXPECT_EQ(plan_blas_kernel({}, "Cooperlake", avx512(true)).action, Action::kKeep);
  CpuFeatures haswell;
  haswell.avx = haswell.avx2 = haswell.fma = true;
  EXPECT_EQ(plan_blas_kernel({}, "Zen", haswell).action, Action::kKeep);
  EXPECT_EQ(plan_blas_kernel({}, "Haswell", haswell).action, Action::kKeep);
  EXPECT_EQ(plan_blas_kernel({}, "Prescott", CpuFeatures{}).action, Action::kKeep);
}

TEST(BlasKernel, TheUsersSettingAlwaysWins) {
  BlasKernelEnvironment user;
  user.coretype = "Prescott";
  EXPECT_EQ(plan_blas_kernel(user, "Prescott", avx512(true)).action, Action::kKeep);
  // A setting that differs from the kernel scir requested is the user's too (e.g. set after a
  // scir process passed its environment on).
  user.requested = "Cooperlake";
  user.coretype = "Haswell";
  EXPECT_EQ(plan_blas_kernel(user, "Haswell", avx512(true)).action, Action::kKeep);
}

TEST(BlasKernel, ARequestedKernelIsVerifiedAndARefusedOneNotRequestedAgain) {
  BlasKernelEnvironment requested;
  requested.coretype = requested.requested = "Cooperlake";
  const BlasKernelPlan verify = plan_blas_kernel(requested, "Cooperlake", avx512(true));
  EXPECT_EQ(verify.action, Action::kVerify);
  EXPECT_EQ(verify.kernel, "Cooperlake");
  BlasKernelEnvironment refused;
  refused.refused = "Cooperlake: sgemm differs";
  EXPECT_EQ(plan_blas_kernel(refused, "Prescott", avx512(true)).action, Action::kKeep);
}

TEST(BlasKernel, NothingIsDoneWhenTheBlasIsNotOpenBlas) {
  EXPECT_EQ(plan_blas_kernel({}, "", avx512(true)).action, Action::kKeep);
}

TEST(BlasKernel, TheProcessSgemmPassesItsCheck) { EXPECT_EQ(check_sgemm(), ""); }

// A plain column-major sgemm with a defect chosen by `defect`: the check must catch each.
int defect = 0;
void faulty_sgemm(const char* op_a, const char*, const int* m, const int* n, const int* k,
                  const float* alpha, const float* a, const int* lda, const float* b,
                  const int* ldb, const float* beta, float* c, const int* ldc) {
  const bool transpose = *op_a == 'T';
  for (int j = 0; j < *n; ++j) {
    for (int i = 0; i < *m; ++i) {
      float sum = 0;
      const int depth = defect == 1 ? *k - 1 : *k;  // 1: the last product left out
      for (int p = 0; p < depth; ++p) {
        sum += (transpose ? a[i * *lda + p] : a[p * *lda + i]) * b[j * *ldb + p];
      }
      float& out = c[j * *ldc + i];
      if (defect == 2 && i == *m - 1 && j == *n - 1) sum = 0;  // 2: an edge element not written
      // 3: beta = 0 multiplies C (NaN stays NaN) instead of ignoring it
      const float before = (*beta == 0 && defect != 3) ? 0.0f : *beta * out;
      out = *alpha * sum + before;
    }
  }
}

TEST(BlasKernel, TheSgemmCheckCatchesAWrongProduct) {
  defect = 0;
  EXPECT_EQ(check_sgemm(faulty_sgemm), "");
  for (int d : {1, 2, 3}) {
    defect = d;
    EXPECT_NE(check_sgemm(faulty_sgemm), "") << "defect " << d;
  }
  defect = 0;
}

// A user's OPENBLAS_CORETYPE naming a kernel the CPU cannot run would end every command with
// SIGILL: the problem names the variable, what the kernel needs and what this CPU runs.
TEST(BlasKernel, AKernelTheCpuCannotRunIsNamedWithTheOnesItRuns) {
  CpuFeatures avx2_epyc;
  avx2_epyc.avx = avx2_epyc.avx2 = avx2_epyc.fma = true;
  EXPECT_EQ(openblas_kernel_problem("SkylakeX", avx2_epyc),
            "OPENBLAS_CORETYPE=SkylakeX names an OpenBLAS kernel this CPU cannot run (it needs "
            "AVX-512 F/CD/BW/DQ/VL); this CPU runs Haswell, Zen, Sandybridge and the generic "
            "Prescott, or unset it for OpenBLAS's or scir's choice");
  EXPECT_NE(openblas_kernel_problem("cooperlake", avx512(false)), "");  // case as OpenBLAS
  EXPECT_EQ(openblas_kernel_problem("Cooperlake", avx512(true)), "");
  EXPECT_EQ(openblas_kernel_problem("Haswell", avx2_epyc), "");
  EXPECT_EQ(openblas_kernel_problem("Prescott", CpuFeatures{}), "");  // runs anywhere
  EXPECT_EQ(openblas_kernel_problem("Haswell", CpuFeatures{}),
            "OPENBLAS_CORETYPE=Haswell names an OpenBLAS kernel this CPU cannot run (it needs "
            "AVX2 and FMA); this CPU runs the generic Prescott, or unset it for OpenBLAS's or "
            "scir's choice");
}

}  // namespace
}  // namespace scir
