#include "cluster/transport.h"

namespace ringkv::cluster {

const char* DeliveryStatusName(DeliveryStatus status) {
  switch (status) {
    case DeliveryStatus::kOk:
      return "ok";
    case DeliveryStatus::kTimeout:
      return "timeout";
    case DeliveryStatus::kUnreachable:
      return "unreachable";
  }
  return "unknown";
}

}  // namespace ringkv::cluster
