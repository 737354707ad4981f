#include "commands/command.h"
#include "commands/util.h"

namespace ringkv::commands {

void RegisterServerCommands(CommandTable* table) {}

}  // namespace ringkv::commands
