#include "scir/io/h5_group.h"

#include <hdf5.h>

#include <filesystem>

#include "scir/core/errors.h"
#include "scir/io/h5_handle.h"

namespace scir {
namespace {

using h5::check;
using h5::Handle;
using h5::open_existing_file;

// Columns and attributes of `group` into the open group `target`.
void write_into(hid_t target, const std::string& group_path, const H5Group& group);

// Columns and attributes of `target` that `group` writes again (a phase rerun replaces them).
void remove_names_of(hid_t target, const std::string& group_path, const H5Group& group) {
  const auto remove_link = [&](const std::string& name) {
    if (H5Lexists(target, name.c_str(), H5P_DEFAULT) > 0)
      check(H5Ldelete(target, name.c_str(), H5P_DEFAULT), "replacing " + group_path + "/" + name);
  };
  const auto remove_attribute = [&](const std::string& name) {
    if (H5Aexists(target, name.c_str()) > 0)
      check(H5Adelete(target, name.c_str()), "replacing attribute " + name);
  };
  for (const auto& [name, unused] : group.columns) remove_link(name);
  for (const auto& [name, unused] : group.text_columns) remove_link(name);
  for (const auto& [name, unused] : group.token_columns) remove_link(name);
  for (const auto& [name, unused] : group.numbers) remove_attribute(name);
  for (const auto& [name, unused] : group.texts) remove_attribute(name);
}

// Variable-length UTF-8 strings (h5py reads them as str).
hid_t text_type() {
  const hid_t type = H5Tcopy(H5T_C_S1);
  H5Tset_size(type, H5T_VARIABLE);
  H5Tset_cset(type, H5T_CSET_UTF8);
  return type;
}

}  // namespace

void write_h5_group(const std::string& file, const std::string& group_path, const H5Group& group,
                    H5GroupWrite mode) {
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);  // errors come back as codes, reported by us
  size_t rows = 0;
  bool first = true;
  const auto check_rows = [&](const std::string& name, size_t count) {
    if (!first && count != rows) {
      throw InternalError(cat("HDF5 group ", group_path, ": column ", name, " has ", count,
                              " rows, others ", rows));
    }
    rows = count;
    first = false;
  };
  for (const auto& [name, values] : group.columns) check_rows(name, values.size());
  for (const auto& [name, values] : group.text_columns) check_rows(name, values.size());
  for (const auto& [name, values] : group.token_columns) check_rows(name, values.size());
  const bool exists = std::filesystem::exists(file);
  Handle handle(exists ? open_existing_file(file, H5F_ACC_RDWR)
                       : H5Fcreate(file.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT),
                H5Fclose, "opening " + file);
  const bool present = H5Lexists(handle, group_path.c_str(), H5P_DEFAULT) > 0;
  if (mode == H5GroupWrite::kAddColumns && present) {
    Handle target(H5Gopen2(handle, group_path.c_str(), H5P_DEFAULT), H5Gclose,
                  "opening " + group_path);
    remove_names_of(target, group_path, group);
    write_into(target, group_path, group);
    return;
  }
  if (present) {
    check(H5Ldelete(handle, group_path.c_str(), H5P_DEFAULT), "replacing " + group_path);
  }
  Handle link_properties(H5Pcreate(H5P_LINK_CREATE), H5Pclose, "link properties");
  H5Pset_create_intermediate_group(link_properties, 1);
  Handle target(H5Gcreate2(handle, group_path.c_str(), link_properties, H5P_DEFAULT, H5P_DEFAULT),
                H5Gclose, "creating " + group_path);
  write_into(target, group_path, group);
}

namespace {

void write_into(hid_t target, const std::string& group_path, const H5Group& group) {
  for (const auto& [name, values] : group.columns) {
    const hsize_t extent = values.size();
    Handle space(H5Screate_simple(1, &extent, nullptr), H5Sclose, "dataspace");
    Handle dataset(H5Dcreate2(target, name.c_str(), H5T_IEEE_F64LE, space, H5P_DEFAULT, H5P_DEFAULT,
                              H5P_DEFAULT),
                   H5Dclose, "creating " + group_path + "/" + name);
    if (!values.empty()) {
      check(H5Dwrite(dataset, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()),
            "writing " + name);
    }
  }
  const auto create = [&](const std::string& name, hid_t type, size_t count) {
    const hsize_t extent = count;
    Handle space(H5Screate_simple(1, &extent, nullptr), H5Sclose, "dataspace");
    return H5Dcreate2(target, name.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  };
  for (const auto& [name, values] : group.text_columns) {
    Handle type(text_type(), H5Tclose, "string type");
    Handle dataset(create(name, type, values.size()), H5Dclose,
                   "creating " + group_path + "/" + name);
    std::vector<const char*> pointers;
    for (const std::string& value : values) pointers.push_back(value.c_str());
    if (!values.empty()) {
      check(H5Dwrite(dataset, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, pointers.data()),
            "writing " + name);
    }
  }
  for (const auto& [name, values] : group.token_columns) {
    Handle type(H5Tvlen_create(H5T_NATIVE_INT32), H5Tclose, "token type");
    Handle dataset(create(name, type, values.size()), H5Dclose,
                   "creating " + group_path + "/" + name);
    std::vector<hvl_t> rows_of(values.size());
    for (size_t i = 0; i < values.size(); ++i)
      rows_of[i] = {values[i].size(), const_cast<int32_t*>(values[i].data())};
    if (!values.empty()) {
      check(H5Dwrite(dataset, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, rows_of.data()),
            "writing " + name);
    }
  }
  for (const auto& [name, value] : group.numbers) {
    Handle space(H5Screate(H5S_SCALAR), H5Sclose, "dataspace");
    Handle attribute(
        H5Acreate2(target, name.c_str(), H5T_IEEE_F64LE, space, H5P_DEFAULT, H5P_DEFAULT), H5Aclose,
        "attribute " + name);
    check(H5Awrite(attribute, H5T_NATIVE_DOUBLE, &value), "writing attribute " + name);
  }
  for (const auto& [name, value] : group.texts) {
    Handle type(H5Tcopy(H5T_C_S1), H5Tclose, "string type");
    H5Tset_size(type, std::max<size_t>(1, value.size()));
    Handle space(H5Screate(H5S_SCALAR), H5Sclose, "dataspace");
    Handle attribute(H5Acreate2(target, name.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT),
                     H5Aclose, "attribute " + name);
    const std::string padded = value.empty() ? std::string(1, '\0') : value;
    check(H5Awrite(attribute, type, padded.data()), "writing attribute " + name);
  }
}

}  // namespace

bool h5_has_group(const std::string& file, const std::string& group_path) {
  if (!std::filesystem::exists(file)) return false;
  Handle handle(open_existing_file(file, H5F_ACC_RDONLY), H5Fclose, "opening " + file);
  return H5Lexists(handle, group_path.c_str(), H5P_DEFAULT) > 0;
}

void check_h5_file(const std::string& file) {
  if (!std::filesystem::exists(file)) return;
  Handle handle(open_existing_file(file, H5F_ACC_RDONLY), H5Fclose, "opening " + file);
}

H5Group read_h5_group(const std::string& file, const std::string& group_path) {
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  if (!std::filesystem::exists(file)) throw InputError(cat(file, ": no such HDF5 file"));
  Handle handle(open_existing_file(file, H5F_ACC_RDONLY), H5Fclose, "opening " + file);
  if (H5Lexists(handle, group_path.c_str(), H5P_DEFAULT) <= 0) {
    throw InputError(cat(file, ": no group ", group_path));
  }
  Handle source(H5Gopen2(handle, group_path.c_str(), H5P_DEFAULT), H5Gclose,
                "opening " + group_path);
  H5Group group;
  H5G_info_t info;
  check(H5Gget_info(source, &info), "group info");
  for (hsize_t i = 0; i < info.nlinks; ++i) {
    char name[256];
    H5Lget_name_by_idx(source, ".", H5_INDEX_NAME, H5_ITER_INC, i, name, sizeof name, H5P_DEFAULT);
    Handle dataset(H5Dopen2(source, name, H5P_DEFAULT), H5Dclose, cat("opening ", name));
    Handle space(H5Dget_space(dataset), H5Sclose, "dataspace");
    Handle stored(H5Dget_type(dataset), H5Tclose, "dataset type");
    const size_t count = H5Sget_simple_extent_npoints(space);
    if (H5Tget_class(stored) == H5T_STRING) {
      Handle type(text_type(), H5Tclose, "string type");
      std::vector<char*> pointers(count, nullptr);
      if (count > 0) {
        check(H5Dread(dataset, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, pointers.data()),
              cat("reading ", name));
      }
      std::vector<std::string>& texts = group.text_columns[name];
      for (char* text : pointers) texts.emplace_back(text ? text : "");
      if (count > 0) H5Dvlen_reclaim(type, space, H5P_DEFAULT, pointers.data());
      continue;
    }
    if (H5Tget_class(stored) == H5T_VLEN) {
      Handle type(H5Tvlen_create(H5T_NATIVE_INT32), H5Tclose, "token type");
      std::vector<hvl_t> rows_of(count);
      if (count > 0) {
        check(H5Dread(dataset, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, rows_of.data()),
              cat("reading ", name));
      }
      std::vector<std::vector<int32_t>>& tokens = group.token_columns[name];
      for (const hvl_t& row : rows_of) {
        const auto* first = static_cast<const int32_t*>(row.p);
        tokens.emplace_back(first, first + row.len);
      }
      if (count > 0) H5Dvlen_reclaim(type, space, H5P_DEFAULT, rows_of.data());
      continue;
    }
    std::vector<double> values(count);
    if (!values.empty()) {
      check(H5Dread(dataset, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()),
            cat("reading ", name));
    }
    group.columns[name] = std::move(values);
  }
  H5O_info_t object;
  check(H5Oget_info2(source, &object, H5O_INFO_NUM_ATTRS), "attribute count");
  for (hsize_t i = 0; i < object.num_attrs; ++i) {
    Handle attribute(
        H5Aopen_by_idx(source, ".", H5_INDEX_NAME, H5_ITER_INC, i, H5P_DEFAULT, H5P_DEFAULT),
        H5Aclose, "attribute");
    char name[256];
    H5Aget_name(attribute, sizeof name, name);
    Handle type(H5Aget_type(attribute), H5Tclose, "attribute type");
    if (H5Tget_class(type) == H5T_STRING && H5Tis_variable_str(type) == 0) {
      // Fixed-length, as write_h5_group writes them: exactly the text, or one NUL when empty.
      std::string text(H5Tget_size(type), '\0');
      check(H5Aread(attribute, type, text.data()), cat("reading attribute ", name));
      group.texts[name] = text.substr(0, text.find('\0'));
      continue;
    }
    if (H5Tget_class(type) != H5T_FLOAT) continue;
    double value = 0;
    check(H5Aread(attribute, H5T_NATIVE_DOUBLE, &value), cat("reading attribute ", name));
    group.numbers[name] = value;
  }
  return group;
}

}  // namespace scir
