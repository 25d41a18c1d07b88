// Precompiled header: the heavy, stable headers nearly every translation unit includes.
#pragma once

#include <torch/torch.h>

#ifndef SCIR_TORCH_ONLY
#include <boost/program_options.hpp>
#endif
#include <map>
#include <memory>
#include <string>
#include <vector>
