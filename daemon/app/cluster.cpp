#include "cluster.h"

#include <pthread.h>
#include <unistd.h>

#include <algorithm>
#include <ctime>
#include <random>

#include "log.h"

namespace roomtemp {
namespace {

std::int64_t boottime_ns() {
  timespec ts{};
  clock_gettime(CLOCK_BOOTTIME, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

/// host:pid:random — unique among the instances of a group, and across restarts of one.
std::string instance_name() {
  char host[256] = "";
  if (gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
  std::random_device random;
  char tag[16];
  std::snprintf(tag, sizeof tag, "%04x", static_cast<unsigned>(random() & 0xffffU));
  return std::string(host[0] ? host : "unknown") + ":" + std::to_string(getpid()) + ":" + tag;
}

std::chrono::milliseconds ms(Duration d) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(d);
}

}  // namespace

std::chrono::milliseconds Cluster::lease_length(Duration takeover) { return ms(takeover) / 2; }
std::chrono::milliseconds Cluster::look_every(Duration takeover) { return ms(takeover) / 10; }
std::chrono::milliseconds Cluster::held_for(Duration takeover) {
  return lease_length(takeover) * 4 / 5;
}

Cluster::Cluster(const ClusterConfig& config, const LiveConfig& live, Metrics& metrics)
    : config_(config),
      metrics_(metrics),
      table_(config.name, instance_name(),
             std::max(lease_length(config.takeover) / 2, std::chrono::milliseconds(250))),
      conn_(live, "cluster") {
  metrics_.cluster_active = 0;
}

Cluster::~Cluster() { stop(false); }

void Cluster::start(std::function<bool()> may_compete) {
  may_compete_ = std::move(may_compete);
  component_log("cluster")->info(
      "cluster {}: this instance is {}; standing by until it holds the lease (takeover {})",
      config_.name, table_.holder(), format_duration(config_.takeover));
  thread_ = std::thread([this] { run(); });
}

void Cluster::stop(bool release) {
  {
    std::lock_guard lock(mutex_);
    if (stop_ && !thread_.joinable()) return;
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  if (!release || role_ != Role::active) return;
  role_ = Role::lost;
  metrics_.cluster_active = 0;
  try {
    if (auto* conn = conn_.get()) {
      table_.release(*conn, term_);
      component_log("cluster")->info("cluster {}: lease given back", config_.name);
    }
  } catch (const std::exception& e) {
    component_log("cluster")->warn(
        "cluster {}: could not give the lease back ({}); a standby takes over when it expires",
        config_.name, one_line(e.what()));
  }
}

bool Cluster::holds() const {
  return role_.load() == Role::active && boottime_ns() < held_until_ns_.load();
}

std::string Cluster::active_name() const {
  std::lock_guard lock(mutex_);
  return active_name_;
}

std::string Cluster::lost_reason() const {
  std::lock_guard lock(mutex_);
  return lost_reason_;
}

void Cluster::lose(const std::string& why) {
  {
    std::lock_guard lock(mutex_);
    lost_reason_ = why;
  }
  role_ = Role::lost;
  metrics_.cluster_active = 0;
  component_log("cluster")->error("cluster {}: {}", config_.name, why);
}

void Cluster::hand_over() {
  try {
    if (auto* conn = conn_.get()) table_.hand_over(*conn);
  } catch (const std::exception& e) {
    component_log("cluster")->warn(
        "cluster {}: could not tell the active about the readings written here ({}); its "
        "averages miss them until it restarts",
        config_.name, one_line(e.what()));
  }
}

void Cluster::compete(pqxx::connection& conn) {
  // Read before the lease is written: it then lasts at least held_for from here, however long
  // the answer takes to come back.
  const std::int64_t sent = boottime_ns();
  // What this instance wrote before it competed (its spool, a journal a crash left) is
  // nothing an active has seen: say so once, before taking the lease or not.
  if (!handed_over_ && metrics_.readings_written.load() > 0) table_.hand_over(conn);
  handed_over_ = true;
  const auto found = table_.try_acquire(conn, lease_length(config_.takeover));
  {
    std::lock_guard lock(mutex_);
    active_name_ = found.holder;
  }
  if (!found.acquired) return;
  term_ = found.term;
  handovers_ = found.handover;
  held_until_ns_ = sent + std::chrono::nanoseconds(held_for(config_.takeover)).count();
  role_ = Role::active;
  metrics_.cluster_active = 1;
  if (!found.previous.empty() && found.previous != table_.holder())
    metrics_.cluster_takeovers.fetch_add(1, std::memory_order_relaxed);
  component_log("cluster")->info(
      "cluster {}: active (term {}{})", config_.name, term_,
      found.previous.empty() ? "" : ", taking over from " + found.previous);
}

void Cluster::renew(pqxx::connection& conn) {
  const std::int64_t sent = boottime_ns();
  const auto handovers = table_.renew(conn, term_, lease_length(config_.takeover));
  if (!handovers) {
    lose("the lease of term " + std::to_string(term_) +
         " expired before it was renewed (another instance may hold it now)");
    return;
  }
  held_until_ns_ = sent + std::chrono::nanoseconds(held_for(config_.takeover)).count();
  handovers_ = *handovers;
}

void Cluster::run() {
  pthread_setname_np(pthread_self(), "cluster");
  auto log = component_log("cluster");
  const auto every = look_every(config_.takeover);
  std::string last_failure;
  while (role_ != Role::lost) {
    const auto next = std::chrono::steady_clock::now() + every;
    if (role_ == Role::active && !holds()) {
      lose(
          "the lease ran out by this instance's clock before a renewal got through (" +
          (last_failure.empty() ? std::string("PostgreSQL did not answer in time") : last_failure) +
          ")");
      break;
    }
    try {
      if (role_ == Role::active || (may_compete_ && may_compete_())) {
        if (auto* conn = conn_.get()) {
          if (role_ == Role::active)
            renew(*conn);
          else
            compete(*conn);
          last_failure.clear();
        } else {
          last_failure = "PostgreSQL is not reachable";
        }
      }
    } catch (const std::exception& e) {
      metrics_.cluster_lease_failures.fetch_add(1, std::memory_order_relaxed);
      const std::string why = one_line(e.what());
      if (why != last_failure) log->warn("cluster {}: lease: {}", config_.name, why);
      last_failure = why;
      conn_.reset();
    }
    std::unique_lock lock(mutex_);
    if (wake_.wait_until(lock, next, [&] { return stop_; })) break;
  }
}

}  // namespace roomtemp
