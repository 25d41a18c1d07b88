# Sourced on the machine that runs binaries with a bundle of env/bundle_runtime.sh:
#   . env/bundle_env.sh BUNDLE_DIR [TORCH_LIB_DIR]
# TORCH_LIB_DIR defaults to the lib folder of python3's torch package (its CUDA and NCCL
# libraries sit in nvidia/* beside it).
bundle=$(cd "$1" && pwd)
torch_lib=${2:-$(python3 -c 'import os, torch; print(os.path.join(os.path.dirname(torch.__file__), "lib"))')}
site=$(dirname "$(dirname "$torch_lib")")
nvidia_libs=$(find "$site/nvidia" -maxdepth 3 -type d -name lib 2>/dev/null | tr '\n' ':')
export LD_LIBRARY_PATH="$bundle/lib:$bundle/lib/x86_64-linux-gnu/openmpi/lib:$bundle/lib/x86_64-linux-gnu/pmix2/lib:$torch_lib:$nvidia_libs${LD_LIBRARY_PATH:-}"
export OPAL_PREFIX=$bundle PMIX_INSTALL_PREFIX=$bundle/lib/x86_64-linux-gnu/pmix2
export PATH="$bundle/bin:$PATH"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
# One node's transports; a plugin whose library this machine lacks (verbs, UCX) is skipped quietly.
export OMPI_MCA_pml=ob1 OMPI_MCA_btl=self,vader OMPI_MCA_mca_base_component_show_load_errors=0
export PMIX_MCA_pcompress_base_silence_warning=1
