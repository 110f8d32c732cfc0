// Test support: running as root without the capabilities that let root read any file.
#pragma once

#include <gtest/gtest.h>
#include <linux/capability.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace trailreplay::test {

// While alive, this thread and the threads it starts lack CAP_DAC_OVERRIDE and
// CAP_DAC_READ_SEARCH (capabilities are per thread; new threads inherit them), so even root is
// refused a file without read permission.
class DacOverrideDropped {
 public:
  DacOverrideDropped() {
    header_.version = _LINUX_CAPABILITY_VERSION_3;
    header_.pid = 0;
    if (syscall(SYS_capget, &header_, saved_) != 0) return;
    __user_cap_data_struct reduced[2];
    std::memcpy(reduced, saved_, sizeof reduced);
    reduced[0].effective &= ~((1u << CAP_DAC_OVERRIDE) | (1u << CAP_DAC_READ_SEARCH));
    active_ = syscall(SYS_capset, &header_, reduced) == 0;
  }
  DacOverrideDropped(const DacOverrideDropped&) = delete;
  DacOverrideDropped& operator=(const DacOverrideDropped&) = delete;
  ~DacOverrideDropped() {
    if (active_) {
      EXPECT_EQ(syscall(SYS_capset, &header_, saved_), 0) << std::strerror(errno);
    }
  }

  // False when the capabilities could not be changed (then root can still read everything).
  bool active() const { return active_; }

 private:
  __user_cap_header_struct header_{};
  __user_cap_data_struct saved_[2]{};
  bool active_ = false;
};

}  // namespace trailreplay::test
