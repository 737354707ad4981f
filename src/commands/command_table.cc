#include <algorithm>
#include <cctype>

#include "commands/command.h"

namespace ringkv::commands {

namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

void CommandTable::Add(CommandSpec spec) {
  auto owned = std::make_unique<CommandSpec>(std::move(spec));
  CommandSpec* ptr = owned.get();
  const std::string name = Lower(ptr->name);
  by_name_[name] = ptr;
  const size_t bar = name.find('|');
  if (bar == std::string::npos) {
    top_level_.push_back(ptr);
    ptr->has_subcommands = subcommands_.count(name) > 0;
  } else {
    const std::string parent = name.substr(0, bar);
    subcommands_[parent].push_back(ptr);
    // The table owns every spec: the parent, if registered already, is ours to mark.
    auto it = by_name_.find(parent);
    if (it != by_name_.end()) const_cast<CommandSpec*>(it->second)->has_subcommands = true;
  }
  storage_.push_back(std::move(owned));
}

const CommandSpec* CommandTable::Find(std::string_view name) const {
  // Command names are short; lower-case into a stack buffer to avoid
  // allocating. Names are ASCII, so this runs once per command without
  // std::tolower's locale call per character.
  char buf[32];
  if (name.size() > sizeof(buf)) return nullptr;
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    if (c == '|') return nullptr;
    buf[i] = c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
  }
  auto it = by_name_.find(std::string(buf, name.size()));
  return it == by_name_.end() ? nullptr : it->second;
}

const CommandSpec* CommandTable::FindSubcommand(std::string_view parent,
                                                std::string_view sub) const {
  auto it = by_name_.find(Lower(parent) + "|" + Lower(sub));
  return it == by_name_.end() ? nullptr : it->second;
}

bool CommandTable::HasSubcommands(std::string_view parent) const {
  return subcommands_.count(Lower(parent)) > 0;
}

std::vector<const CommandSpec*> CommandTable::Subcommands(std::string_view parent) const {
  auto it = subcommands_.find(Lower(parent));
  return it == subcommands_.end() ? std::vector<const CommandSpec*>{} : it->second;
}

std::vector<int> CommandTable::KeyPositions(const CommandSpec& spec, int argc) {
  std::vector<int> keys;
  if (spec.first_key <= 0) return keys;
  int last = spec.last_key < 0 ? argc + spec.last_key : spec.last_key;
  for (int i = spec.first_key; i <= last && i < argc; i += std::max(1, spec.key_step)) {
    keys.push_back(i);
  }
  return keys;
}

void CommandTable::SetFieldPositions(std::string_view name, int first, int last, int step) {
  auto it = by_name_.find(Lower(name));
  if (it == by_name_.end()) return;
  auto* spec = const_cast<CommandSpec*>(it->second);  // owned by storage_
  spec->first_field = first;
  spec->last_field = last;
  spec->field_step = step;
}

std::vector<int> CommandTable::FieldPositions(const CommandSpec& spec, int argc) {
  std::vector<int> fields;
  if (spec.first_field <= 0) return fields;
  const int last = spec.last_field < 0 ? argc + spec.last_field : spec.last_field;
  for (int i = spec.first_field; i <= last && i < argc; i += std::max(1, spec.field_step)) {
    fields.push_back(i);
  }
  return fields;
}

const CommandTable& Commands() {
  static const CommandTable* table = [] {
    auto* t = new CommandTable();
    RegisterConnectionCommands(t);
    RegisterServerCommands(t);
    RegisterStringCommands(t);
    RegisterBitCommands(t);
    RegisterKeyCommands(t);
    RegisterDumpCommands(t);
    RegisterHashCommands(t);
    RegisterTransactionCommands(t);
    RegisterDebugCommands(t);
    RegisterMemoryCommands(t);
    RegisterSlowlogCommands(t);
    RegisterMonitorCommands(t);
    RegisterLatencyCommands(t);
    RegisterRingCommands(t);
    return t;
  }();
  return *table;
}

}  // namespace ringkv::commands
