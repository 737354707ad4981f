#include "commands/command.h"
#include "commands/util.h"

namespace ringkv::commands {

void RegisterKeyCommands(CommandTable* table) {}

}  // namespace ringkv::commands
