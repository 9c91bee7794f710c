// What a stored reading costs PostgreSQL, side by side in one run: the layout before migration
// 004 (building, room, metric and sensor_id as text in every row and in the unique key) against
// the narrow one (series and sensor ids), each fed the same synthetic readings in the same
// batches — the narrow one by roomtempd's own BatchWriter, the old one by the COPY the writer
// ran before 004. Reports PostgreSQL's CPU per reading (the writing backend, and every process
// of the cluster), bytes on disk per reading (heap, unique key, BRIN; and after a closed day's
// key is compacted), how long migrations 004 and 005 take per million rows, and what keeping
// the rollups costs (the narrow layout loaded with and without the writer's rollup deltas).
//
//   storage_bench --dsn "host=127.0.0.1 port=5432 user=postgres" [--rows N] [--reps R] …
//
// It creates and drops databases named storage_bench_*; the cluster should be its own (bench/run
// starts one). Prints a Markdown table on stdout, progress on stderr.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "batch_writer.h"
#include "config.h"
#include "log.h"
#include "metrics.h"
#include "migrate.h"
#include "partitions.h"
#include "rollups.h"
#include "rows.h"
#include "timeutil.h"

namespace {

using namespace roomtemp;
using Clock = std::chrono::steady_clock;

struct Options {
  std::string dsn;
  long rows = 1'000'000;
  int series = 1000;
  int batch = 5000;
  int reps = 3;
  long migrate_rows = 1'000'000;
  bool sensor_ids = false;
};

/// The last migration of the layout with text columns in every row.
constexpr const char* kLastWideMigration = "003_rejected_readings_id.sql";
constexpr Micros kStep = 10 * kMicrosPerSecond;  // one reading per series every 10 s

void say(const std::string& line) { std::fprintf(stderr, "[storage] %s\n", line.c_str()); }

std::string dsn_of(const Options& o, const std::string& db) { return o.dsn + " dbname=" + db; }

void recreate_database(const Options& o, const std::string& db) {
  pqxx::connection admin(dsn_of(o, "postgres"));
  pqxx::nontransaction txn(admin);
  txn.exec("DROP DATABASE IF EXISTS " + db);
  txn.exec("CREATE DATABASE " + db);
}

void drop_database(const Options& o, const std::string& db) {
  pqxx::connection admin(dsn_of(o, "postgres"));
  pqxx::nontransaction(admin).exec("DROP DATABASE IF EXISTS " + db);
}

// ------------------------------------------------------------------ CPU from /proc

long stat_ticks(const std::string& path, bool with_children = false) {
  std::ifstream in(path);
  std::string text((std::istreambuf_iterator<char>(in)), {});
  const auto paren = text.rfind(')');
  if (paren == std::string::npos) return 0;
  // Fields after the command: state is field 3, utime 14, stime 15, cutime 16, cstime 17.
  std::vector<std::string> f;
  std::size_t pos = paren + 2;
  while (pos < text.size()) {
    const auto end = text.find(' ', pos);
    f.push_back(text.substr(pos, end - pos));
    if (end == std::string::npos) break;
    pos = end + 1;
  }
  if (f.size() < 15) return 0;
  long t = std::stol(f[11]) + std::stol(f[12]);
  if (with_children) t += std::stol(f[13]) + std::stol(f[14]);
  return t;
}

long ppid_of(const std::string& pid) {
  std::ifstream in("/proc/" + pid + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), {});
  const auto paren = text.rfind(')');
  if (paren == std::string::npos) return -1;
  long ppid = -1;
  char state;
  std::sscanf(text.c_str() + paren + 2, "%c %ld", &state, &ppid);
  return ppid;
}

/// CPU ticks of the whole cluster: the postmaster (with its exited children) and every child.
long cluster_ticks(long postmaster) {
  long total = stat_ticks("/proc/" + std::to_string(postmaster) + "/stat", true);
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const std::string name = entry.path().filename();
    if (name.empty() || !std::isdigit(static_cast<unsigned char>(name[0]))) continue;
    if (ppid_of(name) == postmaster) total += stat_ticks("/proc/" + name + "/stat");
  }
  return total;
}

long postmaster_pid(pqxx::connection& conn) {
  pqxx::read_transaction txn(conn);
  const auto dir = txn.exec1("SHOW data_directory")[0].as<std::string>();
  std::ifstream in(dir + "/postmaster.pid");
  long pid = 0;
  in >> pid;
  return pid;
}

double micros_per_tick() { return 1e6 / static_cast<double>(sysconf(_SC_CLK_TCK)); }

// ------------------------------------------------------------------ synthetic readings

/// Reading i: series i % S (building B<s/100>, room <100 + s%100>), one every 10 s per series
/// ending before now, values in 15..25, received 5 ms after ts.
struct Synth {
  const Options& o;
  Micros t0;
  Reading operator()(long i) const {
    const long s = i % o.series, step = i / o.series;
    Reading r;
    r.building = "B" + std::to_string(s / 100);
    r.room = std::to_string(100 + s % 100);
    r.metric = "temperature";
    r.ts = t0 + step * kStep + s * 1000;
    r.value = 15 + static_cast<double>((i * 7919) % 1000) / 100.0;
    if (o.sensor_ids) r.sensor_id = "s-" + r.building + "-" + r.room;
    r.received_at = r.ts + 5000;
    return r;
  }
};

Micros first_ts(const Options& o) {
  const long steps = (o.rows + o.series - 1) / o.series;
  return (now_micros() / kMicrosPerSecond - 600) * kMicrosPerSecond - steps * kStep;
}

int days_back(Micros t0) {
  return static_cast<int>((now_micros() - t0) / (86400 * kMicrosPerSecond)) + 1;
}

/// The COPY the writer ran before migration 004: every column as text, into readings.
void write_wide(pqxx::connection& conn, const std::vector<Reading>& batch) {
  static const std::vector<std::string> columns{"ts",    "building",  "room",       "metric",
                                                "value", "sensor_id", "received_at"};
  pqxx::work txn(conn);
  pqxx::subtransaction attempt(txn, "direct");
  pqxx::stream_to copy(attempt, "readings", columns);
  for (const auto& r : batch)
    copy << std::make_tuple(format_rfc3339(r.ts), r.building, r.room, r.metric, float_text(r.value),
                            r.sensor_id, format_rfc3339(r.received_at));
  copy.complete();
  attempt.commit();
  txn.commit();
}

// ------------------------------------------------------------------ sizes

struct Sizes {
  double heap = 0, key = 0, other = 0;
  double total() const { return heap + key + other; }
};

Sizes sizes_of(pqxx::connection& conn, const std::string& parent, long rows) {
  pqxx::nontransaction txn(conn);
  const auto row = txn.exec_params1(
      "SELECT (SELECT coalesce(sum(pg_table_size(inhrelid)), 0) FROM pg_inherits"
      "         WHERE inhparent = $1::regclass),"
      " coalesce(sum(pg_relation_size(i.indexrelid)) FILTER (WHERE i.indisunique), 0),"
      " coalesce(sum(pg_relation_size(i.indexrelid)) FILTER (WHERE NOT i.indisunique), 0)"
      " FROM pg_inherits h JOIN pg_index i ON i.indrelid = h.inhrelid"
      " WHERE h.inhparent = $1::regclass",
      parent);
  Sizes s;
  s.heap = row[0].as<double>() / static_cast<double>(rows);
  s.key = row[1].as<double>() / static_cast<double>(rows);
  s.other = row[2].as<double>() / static_cast<double>(rows);
  return s;
}

std::string bytes_text(const Sizes& s) {
  char buf[128];
  std::snprintf(buf, sizeof buf, "%.0f (heap %.0f, unique key %.0f, BRIN %.1f)", s.total(), s.heap,
                s.key, s.other);
  return buf;
}

// ------------------------------------------------------------------ one load

/// What is loaded: the layout before 004, or the narrow one with or without the rollup deltas
/// the writer adds in each transaction.
enum class Layout { wide, narrow, narrow_without_rollups };

const char* name_of(Layout l) {
  switch (l) {
    case Layout::wide:
      return "before 004";
    case Layout::narrow:
      return "narrow";
    case Layout::narrow_without_rollups:
      return "narrow, no rollups";
  }
  return "?";
}

struct Load {
  double backend_us = 0;  ///< the writing backend's CPU per reading
  double cluster_us = 0;  ///< every PostgreSQL process's CPU per reading
  double writer_us = 0;   ///< this process's CPU per reading (synthesis + the writer's work)
  double fold_us = 0;     ///< narrow: folding the load's rollup deltas, PostgreSQL CPU per reading
  double rate = 0;        ///< readings committed per second
  Sizes written;          ///< right after the load: the day as it is while being written
  Sizes compacted;        ///< narrow only: after compact_day
};

long writer_backend(pqxx::connection& monitor, const std::string& db) {
  pqxx::nontransaction txn(monitor);
  const auto rows = txn.exec_params(
      "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()"
      " AND backend_type = 'client backend'",
      db);
  if (rows.size() != 1) throw std::runtime_error("cannot tell the writer's backend");
  return rows[0][0].as<long>();
}

double thread_cpu_micros() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) * 1e6 + static_cast<double>(t.tv_nsec) / 1e3;
}

Load load(const Options& o, Layout layout, int rep) {
  const bool narrow = layout != Layout::wide;
  const std::string db = std::string("storage_bench_") + (narrow ? "narrow" : "wide");
  recreate_database(o, db);
  pqxx::connection monitor(dsn_of(o, db));
  const Synth synth{o, first_ts(o)};
  apply_migrations(monitor, narrow ? std::string_view() : kLastWideMigration);
  pqxx::nontransaction(monitor).exec("SELECT roomtemp_ensure_partitions(" +
                                     std::to_string(days_back(synth.t0)) + ", 1)");
  const long pm = postmaster_pid(monitor);

  Metrics metrics;
  PostgresConfig pg;
  pg.dsn = dsn_of(o, db);
  std::unique_ptr<BatchWriter> writer;
  std::unique_ptr<pqxx::connection> wide;
  if (narrow) {
    writer = std::make_unique<BatchWriter>(pg, metrics, layout == Layout::narrow);
    if (!writer->ensure_connected()) throw std::runtime_error("BatchWriter cannot connect");
  } else {
    wide = std::make_unique<pqxx::connection>(dsn_of(o, db));
  }
  const long backend = writer_backend(monitor, db);
  const std::string backend_stat = "/proc/" + std::to_string(backend) + "/stat";

  const long b0 = stat_ticks(backend_stat), c0 = cluster_ticks(pm);
  const double w0 = thread_cpu_micros();
  const auto t0 = Clock::now();
  for (long first = 0; first < o.rows; first += o.batch) {
    const long n = std::min<long>(o.batch, o.rows - first);
    if (narrow) {
      std::vector<Inbound> batch;
      batch.reserve(static_cast<std::size_t>(n));
      for (long i = first; i < first + n; ++i) batch.emplace_back(synth(i));
      if (writer->commit(batch) != batch.size()) throw std::runtime_error("a batch failed");
    } else {
      std::vector<Reading> batch;
      batch.reserve(static_cast<std::size_t>(n));
      for (long i = first; i < first + n; ++i) batch.push_back(synth(i));
      write_wide(*wide, batch);
    }
  }
  const double rows = static_cast<double>(o.rows);
  Load l;
  l.rate = rows / std::chrono::duration<double>(Clock::now() - t0).count();
  l.writer_us = (thread_cpu_micros() - w0) / rows;
  const long b1 = stat_ticks(backend_stat), c1 = cluster_ticks(pm);
  l.backend_us = static_cast<double>(b1 - b0) * micros_per_tick() / rows;
  l.cluster_us = static_cast<double>(c1 - c0) * micros_per_tick() / rows;
  if (layout == Layout::narrow) {
    // What the rollups task then does with the load's deltas, on a backend of its own.
    pqxx::connection folder(dsn_of(o, db));
    const long f0 = cluster_ticks(pm);
    fold_rollups(folder);
    l.fold_us = static_cast<double>(cluster_ticks(pm) - f0) * micros_per_tick() / rows;
  }

  const std::string table = narrow ? "readings_raw" : "readings";
  pqxx::nontransaction(monitor).exec("VACUUM ANALYZE " + table);
  l.written = sizes_of(monitor, table, o.rows);
  if (narrow) {
    for (const auto& day : daily_partitions(monitor)) compact_day(monitor, day);
    l.compacted = sizes_of(monitor, table, o.rows);
  }
  say(
      fmt::format("{} run {}: {:.0f}/s; µs per reading: backend {:.2f}, cluster {:.2f}, "
                  "fold {:.2f}, writer {:.2f}; bytes {}{}",
                  name_of(layout), rep, l.rate, l.backend_us, l.cluster_us, l.fold_us, l.writer_us,
                  bytes_text(l.written), narrow ? ", compacted " + bytes_text(l.compacted) : ""));
  writer.reset();  // its connection closes before the database is dropped
  wide.reset();
  monitor.disconnect();
  drop_database(o, db);
  return l;
}

// ------------------------------------------------------------------ migration

double migrate_seconds(const Options& o, long& moved) {
  const std::string db = "storage_bench_migrate";
  recreate_database(o, db);
  pqxx::connection conn(dsn_of(o, db));
  apply_migrations(conn, kLastWideMigration);
  Options shape = o;
  shape.rows = o.migrate_rows;
  const Micros t0 = first_ts(shape);
  {
    pqxx::nontransaction setup(conn);
    setup.exec("SELECT roomtemp_ensure_partitions(" + std::to_string(days_back(t0)) + ", 1)");
    // The same shape as the loads, made in SQL (its speed is not the point here).
    setup.exec_params(
        "INSERT INTO readings (ts, building, room, metric, value, sensor_id, received_at)"
        " SELECT to_timestamp($1::bigint / 1e6) + (i / $2) * interval '10 s'"
        "          + (i % $2) * interval '1 ms',"
        "        'B' || (i % $2) / 100, (100 + (i % $2) % 100)::text, 'temperature',"
        "        15 + ((i * 7919) % 1000) / 100.0,"
        "        CASE WHEN $4 THEN 's-B' || (i % $2) / 100 || '-' || 100 + (i % $2) % 100 END,"
        "        to_timestamp($1::bigint / 1e6) + (i / $2) * interval '10 s' + interval '5 ms'"
        " FROM generate_series(0, $3::bigint - 1) i",
        t0, o.series, o.migrate_rows, o.sensor_ids);
    setup.exec("VACUUM ANALYZE readings");
  }
  const auto start = Clock::now();
  const auto applied = apply_migrations(conn);
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  moved = pqxx::nontransaction(conn).exec1("SELECT count(*) FROM readings")[0].as<long>();
  say("migrations " + std::to_string(applied.size()) + " applied to " +
      std::to_string(o.migrate_rows) + " rows in " + std::to_string(seconds) + " s; " +
      std::to_string(moved) + " rows after");
  conn.disconnect();
  drop_database(o, db);
  return seconds;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

std::string runs_text(const std::vector<double>& v) {
  std::string out;
  for (double x : v) out += (out.empty() ? "" : " ") + fmt::format("{:.2f}", x);
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app("roomtemp storage benchmark: the stored reading's cost, before and after 004");
  app.add_option("--dsn", o.dsn, "libpq connection string without dbname (a superuser)")
      ->required();
  app.add_option("--rows", o.rows, "readings per load");
  app.add_option("--series", o.series, "series (rooms) the readings are spread over");
  app.add_option("--batch", o.batch, "readings per COPY (postgres.batch_max_rows)");
  app.add_option("--reps", o.reps, "loads of each layout, alternating; medians reported");
  app.add_option("--migrate-rows", o.migrate_rows, "rows in the database migration 004 moves");
  app.add_flag("--sensor-ids", o.sensor_ids, "every reading carries a sensor id");
  CLI11_PARSE(app, argc, argv);
  init_logging("warn");
  try {
    // Loads of each kind, alternating so that the machine's moods fall on all of them alike.
    const Layout layouts[] = {Layout::wide, Layout::narrow, Layout::narrow_without_rollups};
    std::map<Layout, std::vector<Load>> runs;
    for (int rep = 1; rep <= o.reps; ++rep)
      for (Layout layout : layouts) runs[layout].push_back(load(o, layout, rep));
    auto med = [&](Layout layout, double Load::*field) {
      std::vector<double> v;
      for (const Load& l : runs[layout]) v.push_back(l.*field);
      return median(v);
    };
    auto all = [&](Layout layout, double Load::*field) {
      std::vector<double> v;
      for (const Load& l : runs[layout]) v.push_back(l.*field);
      return runs_text(v);
    };
    long moved = 0;
    const double migrate = o.migrate_rows > 0 ? migrate_seconds(o, moved) : 0;

    const Layout W = Layout::wide, N = Layout::narrow, X = Layout::narrow_without_rollups;
    const double wb = med(W, &Load::backend_us), nb = med(N, &Load::backend_us);
    const double wc = med(W, &Load::cluster_us), nc = med(N, &Load::cluster_us);
    const Load& wide_last = runs[W].back();
    const Load& narrow_last = runs[N].back();
    const auto yes = [](bool ok) { return ok ? "yes" : "**no**"; };
    std::printf(
        "| Measure | before 004 (text columns) | narrow (series ids) | ratio | target | met |\n");
    std::printf("|---|---|---|---|---|---|\n");
    std::printf(
        "| PostgreSQL CPU per stored reading, writing backend (rollup deltas included) | %.2f µs "
        "| %.2f µs | %.2f | ≤ 4.5 µs | %s |\n",
        wb, nb, nb / wb, yes(nb <= 4.5));
    std::printf(
        "| PostgreSQL CPU per stored reading, all its processes | %.2f µs | %.2f µs | %.2f | — | "
        "— |\n",
        wc, nc, nc / wc);
    std::printf("| Bytes per reading, the day being written | %s | %s | %.2f | — | — |\n",
                bytes_text(wide_last.written).c_str(), bytes_text(narrow_last.written).c_str(),
                narrow_last.written.total() / wide_last.written.total());
    std::printf(
        "| Bytes per reading, a closed day (key compacted) | — | %s | %.2f | ≤ 100 | %s |\n",
        bytes_text(narrow_last.compacted).c_str(),
        narrow_last.compacted.total() / wide_last.written.total(),
        yes(narrow_last.compacted.total() <= 100));
    if (o.migrate_rows > 0)
      std::printf(
          "| Migrations 004 and 005 of %ld rows | %.1f s | %.1f s per million rows | | — | %s |\n",
          o.migrate_rows, migrate, migrate * 1e6 / static_cast<double>(o.migrate_rows),
          moved == o.migrate_rows ? "every row kept" : "**rows lost**");
    std::printf(
        "\n| Rollup maintenance | on | off | ratio | target | met |\n|---|---|---|---|---|---|\n");
    const double on_rate = med(N, &Load::rate), off_rate = med(X, &Load::rate);
    std::printf(
        "| Readings committed per second (BatchWriter) | %.0f | %.0f | %.3f | ≥ 0.95 | %s |\n",
        on_rate, off_rate, on_rate / off_rate, yes(on_rate / off_rate >= 0.95));
    const double on_pg = med(N, &Load::cluster_us) + med(N, &Load::fold_us);
    const double off_pg = med(X, &Load::cluster_us);
    std::printf(
        "| PostgreSQL CPU per reading (all processes; on: deltas + fold %.2f µs) | %.2f µs | "
        "%.2f µs | +%.2f µs | — | — |\n",
        med(N, &Load::fold_us), on_pg, off_pg, on_pg - off_pg);
    const double on_w = med(N, &Load::writer_us), off_w = med(X, &Load::writer_us);
    std::printf(
        "| Writer CPU per reading (roomtempd's side, with the synthesis) | %.2f µs | %.2f µs "
        "| +%.2f µs | — | — |\n",
        on_w, off_w, on_w - off_w);
    std::printf(
        "\nLoads: %ld readings of %d series in COPY batches of %d%s, %d of each kind, "
        "alternating; medians shown. Runs, PostgreSQL µs per reading (writing backend): before "
        "004 %s; narrow %s; narrow without rollups %s. Readings/s: narrow %s; without rollups "
        "%s.\n",
        o.rows, o.series, o.batch, o.sensor_ids ? " (each with a sensor id)" : "", o.reps,
        all(W, &Load::backend_us).c_str(), all(N, &Load::backend_us).c_str(),
        all(X, &Load::backend_us).c_str(), all(N, &Load::rate).c_str(),
        all(X, &Load::rate).c_str());
    return moved == o.migrate_rows || o.migrate_rows == 0 ? 0 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "storage_bench: %s\n", e.what());
    return 1;
  }
}
