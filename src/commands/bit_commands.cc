#include "commands/command.h"
#include "commands/util.h"

namespace ringkv::commands {

void RegisterBitCommands(CommandTable* table) {}

}  // namespace ringkv::commands
