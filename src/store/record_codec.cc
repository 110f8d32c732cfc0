#include "store/record_codec.h"

#define ZDICT_STATIC_LINKING_ONLY  // ZDICT_trainFromBuffer_fastCover, exported by libzstd.so
#include <zdict.h>
#include <zstd.h>

#include <utility>

namespace trailreplay::store {
namespace {

// Level 1 against a dictionary: 7.7x at 435 MB/s per core on the benchmark corpus' records,
// where level 3 gives 8.1x at 330 MB/s; the scan's cores are what the whole CIS pack runs out
// of, so the faster level (perf/README.md, "Raw records").
constexpr int kLevel = 1;

}  // namespace

std::optional<RecordDictionary> RecordDictionary::Train(const std::vector<std::string>& samples,
                                                        std::string* error) {
  std::string joined;
  std::vector<std::size_t> sizes;
  sizes.reserve(samples.size());
  for (const std::string& s : samples) {
    joined += s;
    sizes.push_back(s.size());
  }
  std::string bytes(kCapacity, '\0');
  // zstd's default trainer tries four segment sizes and keeps the best, which on CloudTrail
  // records is about 2,000 bytes (chosen 1,511-1,998 on four corpora); trained once with that
  // size the dictionary compresses within 2% as well, in a quarter of the time (perf/README.md,
  // "Raw records"), and a first scan's training competes with its workers for the cores.
  ZDICT_fastCover_params_t params{};
  params.k = 2000;
  params.d = 8;
  params.f = 20;
  params.accel = 1;
  params.zParams.compressionLevel = kLevel;
  const std::size_t made =
      ZDICT_trainFromBuffer_fastCover(bytes.data(), bytes.size(), joined.data(), sizes.data(),
                                      static_cast<unsigned>(sizes.size()), params);
  if (ZDICT_isError(made)) {
    if (error) *error = std::string("training a dictionary: ") + ZDICT_getErrorName(made);
    return std::nullopt;
  }
  bytes.resize(made);
  return FromBytes(std::move(bytes), error);
}

std::optional<RecordDictionary> RecordDictionary::FromBytes(std::string bytes, std::string* error) {
  RecordDictionary dictionary;
  // The ID zstd gives a trained dictionary (from its content), written in every frame.
  dictionary.id_ = ZDICT_getDictID(bytes.data(), bytes.size());
  if (dictionary.id_ == 0) {
    if (error) *error = "not a zstd dictionary";
    return std::nullopt;
  }
  dictionary.cdict_ = ZSTD_createCDict(bytes.data(), bytes.size(), kLevel);
  if (dictionary.cdict_ == nullptr) {
    if (error) *error = "zstd could not load the dictionary";
    return std::nullopt;
  }
  dictionary.bytes_ = std::move(bytes);
  return dictionary;
}

RecordDictionary::RecordDictionary(RecordDictionary&& other) noexcept
    : id_(other.id_),
      bytes_(std::move(other.bytes_)),
      cdict_(std::exchange(other.cdict_, nullptr)) {}

RecordDictionary& RecordDictionary::operator=(RecordDictionary&& other) noexcept {
  if (this != &other) {
    ZSTD_freeCDict(cdict_);
    id_ = other.id_;
    bytes_ = std::move(other.bytes_);
    cdict_ = std::exchange(other.cdict_, nullptr);
  }
  return *this;
}

RecordDictionary::~RecordDictionary() { ZSTD_freeCDict(cdict_); }

RecordCompressor::RecordCompressor(const RecordDictionary& dictionary)
    : dictionary_(&dictionary), cctx_(ZSTD_createCCtx()) {
  // The content size goes in the frame header, so that reading back allocates once and can
  // refuse a frame claiming more than a record can hold; no checksum: SQLite's pages are the
  // unit of damage, and a damaged frame fails to decode anyway.
  ZSTD_CCtx_setParameter(cctx_, ZSTD_c_contentSizeFlag, 1);
  ZSTD_CCtx_setParameter(cctx_, ZSTD_c_checksumFlag, 0);
  ZSTD_CCtx_setParameter(cctx_, ZSTD_c_dictIDFlag, 1);
  ZSTD_CCtx_refCDict(cctx_, dictionary.cdict_);
}

RecordCompressor::~RecordCompressor() { ZSTD_freeCCtx(cctx_); }

void RecordCompressor::Compress(std::string_view json, std::string& out) {
  buffer_.resize(ZSTD_compressBound(json.size()));
  const std::size_t made =
      ZSTD_compress2(cctx_, buffer_.data(), buffer_.size(), json.data(), json.size());
  // Into a buffer of the bound, with a dictionary already loaded, compression cannot fail;
  // were it to, the record is kept as it came.
  if (ZSTD_isError(made)) {
    out.assign(json);
    return;
  }
  out.assign(buffer_.data(), made);
}

RecordDecompressor::RecordDecompressor(Lookup lookup)
    : lookup_(std::move(lookup)), dctx_(ZSTD_createDCtx()) {}

RecordDecompressor::~RecordDecompressor() {
  for (auto& [id, ddict] : dictionaries_) ZSTD_freeDDict(ddict);
  ZSTD_freeDCtx(dctx_);
}

bool RecordDecompressor::Decompress(std::string_view frame, std::size_t max_bytes, std::string& out,
                                    std::string& error) {
  const unsigned long long size = ZSTD_getFrameContentSize(frame.data(), frame.size());
  if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN) {
    error = "not a compressed record (no zstd frame with its size)";
    return false;
  }
  if (size > max_bytes) {
    error = "a compressed record claims " + std::to_string(size) + " bytes, over the limit of " +
            std::to_string(max_bytes);
    return false;
  }
  const unsigned id = ZSTD_getDictID_fromFrame(frame.data(), frame.size());
  ZSTD_DDict* ddict = nullptr;
  if (id != 0) {
    auto it = dictionaries_.find(id);
    if (it == dictionaries_.end()) {
      std::optional<std::string> bytes = lookup_(id);
      if (!bytes) {
        error = "the record's dictionary " + std::to_string(id) +
                " is not in the database (record_dictionaries)";
        return false;
      }
      ddict = ZSTD_createDDict(bytes->data(), bytes->size());
      if (ddict == nullptr) {
        error = "dictionary " + std::to_string(id) + " is damaged";
        return false;
      }
      it = dictionaries_.emplace(id, ddict).first;
    }
    ddict = it->second;
  }
  out.resize(static_cast<std::size_t>(size));
  const std::size_t made =
      ddict != nullptr
          ? ZSTD_decompress_usingDDict(dctx_, out.data(), out.size(), frame.data(), frame.size(),
                                       ddict)
          : ZSTD_decompressDCtx(dctx_, out.data(), out.size(), frame.data(), frame.size());
  if (ZSTD_isError(made) || made != out.size()) {
    error = std::string("a damaged compressed record: ") +
            (ZSTD_isError(made) ? ZSTD_getErrorName(made) : "shorter than its header says");
    return false;
  }
  return true;
}

}  // namespace trailreplay::store
