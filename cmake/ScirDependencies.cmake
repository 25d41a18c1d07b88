# Every dependency through find_package; see docs/ARCHITECTURE.md for where each comes from.
find_package(Torch REQUIRED)
find_package(nlohmann_json 3 REQUIRED)
# PCRE2 (Debian: libpcre2-dev) for the Unicode regular expressions of tokenizer.json's
# pre-tokenizers; required in the full build, optional in the LibTorch-only one.
find_package(PkgConfig QUIET)
# ICU (Debian: libicu-dev) for their NFC/NFKC normalizers.
if(PkgConfig_FOUND)
  pkg_check_modules(PCRE2 QUIET IMPORTED_TARGET libpcre2-8)
  pkg_check_modules(ICU QUIET IMPORTED_TARGET icu-uc)
endif()
if(PCRE2_FOUND AND ICU_FOUND)
  set(SCIR_HAVE_PCRE2 ON)
else()
  set(SCIR_HAVE_PCRE2 OFF)
endif()
if(NOT SCIR_TORCH_ONLY AND NOT SCIR_HAVE_PCRE2)
  message(FATAL_ERROR "PCRE2 or ICU not found (Debian: libpcre2-dev, libicu-dev; env/setup.sh "
                      "installs them)")
endif()
if(NOT SCIR_TORCH_ONLY)
  find_package(MPI REQUIRED COMPONENTS C)
  find_package(Boost REQUIRED COMPONENTS program_options)
  find_package(SentencePiece REQUIRED)

  # The parallel (MPI-IO) build of HDF5 is required: all ranks write one run.h5.
  set(HDF5_PREFER_PARALLEL TRUE)
  find_package(HDF5 REQUIRED COMPONENTS C)
  if(NOT HDF5_IS_PARALLEL)
    message(FATAL_ERROR "scir_hpc needs the parallel HDF5 build (Debian: libhdf5-openmpi-dev)")
  endif()

  if(SCIR_BUILD_TESTS)
    find_package(GTest REQUIRED)
  endif()
else()
  # The GPU checks use GoogleTest: the system's, or its sources where the GPU machine has none
  # (SCIR_GTEST_SOURCE, e.g. Debian's googletest package unpacked with dpkg -x), built with
  # LibTorch's flags so both agree on the C++ library's ABI.
  find_package(GTest QUIET)
  if(NOT GTest_FOUND)
    if(NOT SCIR_GTEST_SOURCE)
      message(FATAL_ERROR "GoogleTest not found: install it, or set SCIR_GTEST_SOURCE to its "
                          "sources (a directory holding googletest/ and CMakeLists.txt)")
    endif()
    set(INSTALL_GTEST OFF CACHE BOOL "" FORCE)
    set(BUILD_GMOCK OFF CACHE BOOL "" FORCE)
    add_subdirectory(${SCIR_GTEST_SOURCE} ${CMAKE_BINARY_DIR}/googletest EXCLUDE_FROM_ALL)
    target_compile_options(gtest PRIVATE ${TORCH_CXX_FLAGS})
  endif()
endif()

# GPU collectives: compiled when the CUDA toolkit and NCCL are present (they link here even
# though no GPU runs them), left out cleanly otherwise.
set(SCIR_HAVE_NCCL OFF)
if(NOT SCIR_WITH_NCCL STREQUAL "OFF")
  find_package(CUDAToolkit QUIET)
  find_package(NCCL QUIET)
  if(CUDAToolkit_FOUND AND NCCL_FOUND)
    set(SCIR_HAVE_NCCL ON)
  elseif(SCIR_WITH_NCCL STREQUAL "ON")
    message(FATAL_ERROR "SCIR_WITH_NCCL=ON but the CUDA toolkit or NCCL was not found")
  endif()
endif()
if(SCIR_TORCH_ONLY)
  message(STATUS "scir_hpc (LibTorch part only): LibTorch ${Torch_VERSION}, "
                 "NCCL communicator: ${SCIR_HAVE_NCCL}")
else()
  message(STATUS "scir_hpc: LibTorch ${Torch_VERSION}, HDF5 ${HDF5_VERSION} (parallel), "
                 "NCCL communicator: ${SCIR_HAVE_NCCL}")
endif()
