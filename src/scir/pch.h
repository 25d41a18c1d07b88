// Precompiled header: the heavy, stable headers nearly every translation unit includes.
#pragma once

#include <torch/torch.h>

#include <boost/program_options.hpp>
#include <map>
#include <memory>
#include <string>
#include <vector>
