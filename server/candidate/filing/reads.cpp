#include "server/candidate/filing/reads.hpp"

#include "server/http/problem.hpp"
#include "server/http/request.hpp"
#include "storage/encoding.hpp"

namespace zhiyuan::server {

std::int16_t own_batch::code() const { return storage::encode_batch(b); }

std::optional<own_batch> own_batch_of(request_context& ctx, candidate_api_context& api) {
  const auto session = authenticate(ctx, api);
  if (!session) return std::nullopt;
  const auto b = path_batch(ctx);
  if (!b) {
    fail(ctx, b.error());
    return std::nullopt;
  }
  return own_batch_of(ctx, api, *session, *b);
}

std::optional<own_batch> own_batch_of(request_context& ctx, candidate_api_context& api,
                                      const session_info& s, core::batch b) {
  auto who = registered(api, s.candidate_id);
  if (!who) {
    fail(ctx, who.error());
    return std::nullopt;
  }
  return own_batch{s.candidate_id, b, drilling(api), std::move(*who)};
}

core::result<core::choice_list> stored_choices(std::string_view canonical) {
  auto decoded = core::decode_canonical(canonical);
  if (!decoded) return core::failure(core::errc::internal, "");
  return decoded;
}

}  // namespace zhiyuan::server
