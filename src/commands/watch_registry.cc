#include "commands/context.h"

namespace ringkv::commands {

void WatchRegistry::Watch(ClientState* client, int db, std::string_view key) {
  for (const auto& [wdb, wkey] : client->watched) {
    if (wdb == db && wkey == key) return;
  }
  client->watched.emplace_back(db, std::string(key));
  watchers_[{db, std::string(key)}].insert(client);
}

void WatchRegistry::UnwatchAll(ClientState* client) {
  for (const auto& entry : client->watched) {
    auto it = watchers_.find(entry);
    if (it == watchers_.end()) continue;
    it->second.erase(client);
    if (it->second.empty()) watchers_.erase(it);
  }
  client->watched.clear();
  client->watch_dirty = false;
}

void WatchRegistry::Touch(int db, std::string_view key) {
  if (watchers_.empty()) return;
  auto it = watchers_.find(std::pair<int, std::string>(db, key));
  if (it == watchers_.end()) return;
  for (ClientState* client : it->second) client->watch_dirty = true;
}

void WatchRegistry::TouchDbKeys(int db, const std::function<bool(std::string_view key)>& changed) {
  for (auto it = watchers_.lower_bound(std::pair<int, std::string>(db, ""));
       it != watchers_.end() && it->first.first == db; ++it) {
    if (!changed(it->first.second)) continue;
    for (ClientState* client : it->second) client->watch_dirty = true;
  }
}

std::vector<std::string> WatchRegistry::KeysWatchedIn(int db) const {
  std::vector<std::string> keys;
  for (auto it = watchers_.lower_bound(std::pair<int, std::string>(db, ""));
       it != watchers_.end() && it->first.first == db; ++it) {
    keys.push_back(it->first.second);
  }
  return keys;
}

void WatchRegistry::TouchAll() {
  for (auto& [entry, clients] : watchers_) {
    for (ClientState* client : clients) client->watch_dirty = true;
  }
}

}  // namespace ringkv::commands
