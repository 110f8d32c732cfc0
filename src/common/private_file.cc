#include "common/private_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <vector>

namespace trailreplay {

namespace {

Error IoError(const std::string& what, const std::string& path, int error) {
  return MakeError(ErrorCode::kIo, what + " '" + path + "': " + std::strerror(error));
}

}  // namespace

Result<void> WritePrivateFile(const std::string& path, std::string_view content) {
  struct stat st;
  if (::lstat(path.c_str(), &st) == 0) {
    if (S_ISLNK(st.st_mode)) {
      return MakeError(ErrorCode::kIo,
                       "'" + path +
                           "' is a symbolic link: trailreplay does not write evidence through "
                           "links; remove it or choose another path");
    }
    if (!S_ISREG(st.st_mode)) {
      return MakeError(ErrorCode::kIo, "'" + path + "' exists and is not a regular file");
    }
  }
  const std::size_t slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : path.substr(0, slash + 1);
  const std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  std::string temp = (slash == std::string::npos ? "" : dir) + "." + base + ".XXXXXX";
  std::vector<char> name(temp.begin(), temp.end());
  name.push_back('\0');
  const int fd = ::mkostemp(name.data(), O_CLOEXEC);  // mode 0600
  if (fd < 0) return IoError("cannot create a file beside", path, errno);
  temp.assign(name.data());
  auto fail = [&](const std::string& what) {
    const int error = errno;
    ::close(fd);
    ::unlink(temp.c_str());
    return IoError(what, path, error);
  };
  for (std::size_t done = 0; done < content.size();) {
    const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail("cannot write");
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) return fail("cannot write");
  if (::close(fd) != 0) {
    const int error = errno;
    ::unlink(temp.c_str());
    return IoError("cannot write", path, error);
  }
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    const int error = errno;
    ::unlink(temp.c_str());
    return IoError("cannot write", path, error);
  }
  return {};
}

std::optional<std::string> SharedFileWarning(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
  if ((st.st_mode & 077) == 0) return std::nullopt;
  char mode[8];
  std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
  return "'" + path + "' can be read by others than its owner (mode " + mode +
         "), and it holds raw CloudTrail records: chmod 600 '" + path + "'";
}

}  // namespace trailreplay
