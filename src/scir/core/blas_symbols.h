// The BLAS is reached through whatever libblas.so.3 Debian's alternatives picked, so its own
// controls (OpenBLAS's threads, configuration, kernel name) are looked up at run time rather
// than linked: with another BLAS they are simply absent.
#pragma once

#include <dlfcn.h>

namespace scir {

template <class Function>
Function blas_symbol(const char* name) {
  return reinterpret_cast<Function>(dlsym(RTLD_DEFAULT, name));
}

}  // namespace scir
