#include "commands/command.h"
#include "commands/util.h"

namespace ringkv::commands {

void RegisterHashCommands(CommandTable* table) {}

}  // namespace ringkv::commands
