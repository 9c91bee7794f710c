// A year of history, asked over REST and answered from the rollups, against the same questions
// answered from raw rows by SQL over `readings` (what history cost before the rollups), in the
// same run; bytes on disk per raw reading and per rollup row, and the disk a year takes.
//
//   history_bench --dsn "host=… user=postgres" --db roomtemp_history setup [--rooms 1000 …]
//   history_bench --dsn … --db roomtemp_history --url http://127.0.0.1:PORT measure
//
// `setup` synthesizes straight into PostgreSQL (so the bench stays minutes long): a year of
// hourly and daily rollups for every room (as if each sent a reading a minute) and, for the
// first building's rooms, the year's raw readings themselves with their rollups built from them
// by roomtemp_rebuild_rollups. `measure` asks a running roomtempd (on that database) and
// PostgreSQL, and prints a Markdown table.
#include <httplib.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "migrate.h"
#include "partitions.h"
#include "timeutil.h"

namespace {

using namespace roomtemp;
using Clock = std::chrono::steady_clock;
using json = nlohmann::json;

struct Options {
  std::string dsn, db, url;
  int rooms = 1000;
  int rooms_per_building = 20;
  int days = 365;
  int reps = 50;
  int raw_reps = 5;
};

void say(const std::string& line) { std::fprintf(stderr, "[history] %s\n", line.c_str()); }

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

/// Midnight UTC today, and the first day of the year of history before it.
Micros today() { return now_micros() / (86400 * kMicrosPerSecond) * 86400 * kMicrosPerSecond; }
Micros first_day(const Options& o) { return today() - o.days * 86400LL * kMicrosPerSecond; }

void setup(const Options& o) {
  {
    pqxx::connection admin(o.dsn + " dbname=postgres");
    pqxx::nontransaction txn(admin);
    txn.exec("DROP DATABASE IF EXISTS " + o.db);
    txn.exec("CREATE DATABASE " + o.db);
  }
  pqxx::connection conn(o.dsn + " dbname=" + o.db);
  apply_migrations(conn);
  auto txn = std::make_unique<pqxx::nontransaction>(conn);
  txn->exec("SELECT roomtemp_ensure_partitions(" + std::to_string(o.days + 1) + ", 1)");
  const std::string start = format_rfc3339(first_day(o)), end = format_rfc3339(today());
  // Rooms 100… of buildings B0…, ids in that order: B0's rooms are 1…rooms_per_building.
  txn->exec_params(
      "INSERT INTO series (building, room, metric)"
      " SELECT 'B' || (i / $2), (100 + i % $2)::text, 'temperature'"
      " FROM generate_series(0, $1 - 1) i ORDER BY i",
      o.rooms, o.rooms_per_building);

  auto t = Clock::now();
  // B0: a reading a minute for the whole year, raw.
  txn->exec_params(
      "INSERT INTO readings_raw (ts, value, received_at, series, sensor)"
      " SELECT m, round((20 + 5 * sin(extract(epoch FROM m) / 40000 + s))::numeric, 2)::float8,"
      "        m + interval '20 ms', s, 0"
      " FROM generate_series($1::timestamptz, $2::timestamptz - interval '1 minute',"
      "                      interval '1 minute') m, generate_series(1, $3) s",
      start, end, o.rooms_per_building);
  const long raw = txn->exec1("SELECT count(*) FROM readings_raw")[0].as<long>();
  say("raw readings of B0: " + std::to_string(raw) + " in " + std::to_string(seconds_since(t)) +
      " s");
  t = Clock::now();
  txn->exec_params(
      "SELECT roomtemp_rebuild_rollups(d::date) FROM generate_series($1::timestamptz,"
      " $2::timestamptz - interval '1 day', interval '1 day') d",
      start, end);
  say("B0's rollups built from them in " + std::to_string(seconds_since(t)) + " s");
  t = Clock::now();
  // Everyone else: the rollups of a reading a minute, made up directly.
  txn->exec_params(
      "INSERT INTO rollup_hourly (hour, count, sum, min, max, series)"
      " SELECT h, 60, 60 * (20 + v), 20 + v - 2, 20 + v + 2, s"
      " FROM generate_series($1::timestamptz, $2::timestamptz - interval '1 hour',"
      "                      interval '1 hour') h, generate_series($3 + 1, $4) s,"
      "      LATERAL (SELECT round((5 * sin(extract(epoch FROM h) / 40000 + s))::numeric, "
      "2)::float8"
      "               AS v) x",
      start, end, o.rooms_per_building, o.rooms);
  txn->exec_params(
      "INSERT INTO rollup_daily (day, count, sum, min, max, series)"
      " SELECT date_trunc('day', hour, 'UTC'), sum(count), sum(sum), min(min), max(max), series"
      " FROM rollup_hourly WHERE series > $1 GROUP BY 1, series",
      o.rooms_per_building);
  say("the other rooms' rollups in " + std::to_string(seconds_since(t)) + " s");
  t = Clock::now();
  // Steady state: every closed day's key compacted, as roomtempd leaves them.
  txn->exec("REINDEX TABLE readings_raw");
  txn.reset();
  const auto days = daily_partitions(conn);
  txn = std::make_unique<pqxx::nontransaction>(conn);
  for (const RawDay& day : days)
    txn->exec_params("INSERT INTO readings_raw_compacted (day) VALUES ($1::date)", day.day);
  txn->exec("VACUUM ANALYZE");
  say("reindexed and analyzed in " + std::to_string(seconds_since(t)) + " s");
}

/// Bytes on disk per row of a table (with its indexes; partitions included).
double bytes_per_row(pqxx::transaction_base& txn, const std::string& table) {
  const auto row = txn.exec1(
      "SELECT (SELECT coalesce(sum(pg_total_relation_size(inhrelid)), 0) FROM pg_inherits"
      "        WHERE inhparent = '" +
      table + "'::regclass) + pg_total_relation_size('" + table + "'), (SELECT count(*) FROM " +
      table + ")");
  return row[0].as<double>() / row[1].as<double>();
}

struct Latency {
  double p50 = 0, p99 = 0;
};

template <typename Ask>
Latency time_it(int reps, Ask&& ask) {
  std::vector<double> ms;
  for (int i = 0; i < reps; ++i) {
    const auto t = Clock::now();
    ask();
    ms.push_back(seconds_since(t) * 1000);
  }
  std::sort(ms.begin(), ms.end());
  auto at = [&](double q) {
    return ms[std::min(ms.size() - 1,
                       static_cast<std::size_t>(q * static_cast<double>(ms.size())))];
  };
  return {at(0.5), at(0.99)};
}

/// One question, both ways.
struct Question {
  std::string name;
  std::string building, room;  ///< room "" for the building
  Micros from, to, step;       ///< step 0: an average over [from, to)
};

std::string step_text(Micros step) {
  return step % (86400 * kMicrosPerSecond) == 0
             ? std::to_string(step / (86400 * kMicrosPerSecond)) + "d"
             : std::to_string(step / (3600 * kMicrosPerSecond)) + "h";
}

/// The question over REST: the counts of its steps (or its one average); with `parse` false
/// only the answer's arrival (what a client waits for; parsing a year of hourly steps is the
/// client's own cost).
std::vector<long long> ask_rest(httplib::Client& http, const Question& q, bool parse = true) {
  std::string path = "/v1/buildings/" + q.building + (q.room.empty() ? "" : "/rooms/" + q.room) +
                     "/temperature/" + (q.step ? "series" : "average") +
                     "?from=" + format_rfc3339(q.from) + "&to=" + format_rfc3339(q.to);
  if (q.step) path += "&step=" + step_text(q.step);
  const auto r = http.Get(path);
  if (!r || r->status != 200)
    throw std::runtime_error(path + ": " +
                             (r ? std::to_string(r->status) + " " + r->body : "no answer"));
  if (!parse) return {};
  const json doc = json::parse(r->body);
  std::vector<long long> counts;
  if (q.step)
    for (const auto& p : doc) counts.push_back(p["count"].get<long long>());
  else
    counts.push_back(doc["count"].get<long long>());
  return counts;
}

/// The same question over the raw readings, as history was answered before the rollups.
std::vector<long long> ask_raw(pqxx::connection& conn, const Question& q) {
  pqxx::read_transaction txn(conn);
  const std::string filter =
      " FROM readings WHERE building = $1 AND ($2 = '' OR room = $2) AND metric = 'temperature'"
      " AND ts >= $3::timestamptz AND ts < $4::timestamptz";
  std::vector<long long> counts;
  if (!q.step) {
    counts.push_back(
        txn.exec_params1("SELECT count(*), sum(value), min(value), max(value)" + filter, q.building,
                         q.room, format_rfc3339(q.from), format_rfc3339(q.to))[0]
            .as<long long>());
    return counts;
  }
  const auto rows = txn.exec_params(
      "SELECT ((extract(epoch FROM ts) * 1000000)::bigint - $5::bigint) / $6::bigint AS step,"
      " count(*), sum(value), min(value), max(value)" +
          filter + " GROUP BY step ORDER BY step",
      q.building, q.room, format_rfc3339(q.from), format_rfc3339(q.to), q.from, q.step);
  counts.assign(static_cast<std::size_t>((q.to - q.from + q.step - 1) / q.step), 0);
  for (const auto& row : rows) counts.at(row[0].as<std::size_t>()) = row[1].as<long long>();
  return counts;
}

int measure(const Options& o) {
  const Micros hour = 3600 * kMicrosPerSecond, day = 24 * hour;
  const Micros to = today(), from = first_day(o);
  const std::string all = o.days == 365 ? "year" : std::to_string(o.days) + " days";
  const Micros month = std::min<Micros>(30, o.days) * day;
  const std::vector<Question> questions = {
      {"a room's " + all + ", series step 1d", "B0", "100", from, to, day},
      {"a room's " + all + ", series step 1h", "B0", "100", from, to, hour},
      {"a room's " + all + " average", "B0", "101", from, to, 0},
      {"a building's " + all + " average", "B0", "", from, to, 0},
      {"a building's month, series step 1h", "B0", "", to - month, to, hour},
  };
  httplib::Client http(o.url);
  http.set_read_timeout(30, 0);
  http.set_keep_alive(true);  // as a dashboard or Grafana asks: one connection, many questions
  pqxx::connection conn(o.dsn + " dbname=" + o.db);
  std::printf(
      "| Question (%d rooms, %d days of rollups; B0's %d rooms also raw) | from the rollups "
      "(REST) p50 / p99 | from raw rows (SQL) p50 / p99 | faster | same counts | target |"
      "\n|---|---|---|---|---|---|\n",
      o.rooms, o.days, o.rooms_per_building);
  bool ok = true;
  for (const Question& q : questions) {
    const bool same = ask_rest(http, q) == ask_raw(conn, q);
    const Latency rest = time_it(o.reps, [&] { ask_rest(http, q, false); });
    const Latency raw = time_it(o.raw_reps, [&] { ask_raw(conn, q); });
    const double faster = raw.p50 / rest.p50;
    const bool met = rest.p99 <= 50 && faster >= 50;
    ok = ok && same;
    std::printf("| %s | %.1f / %.1f ms | %.0f / %.0f ms | %.0f× | %s | p99 ≤ 50 ms, ≥ 50×: %s |\n",
                q.name.c_str(), rest.p50, rest.p99, raw.p50, raw.p99, faster,
                same ? "yes" : "**no**", met ? "met" : "**missed**");
    say(q.name + ": rest p50 " + std::to_string(rest.p50) + " ms, raw p50 " +
        std::to_string(raw.p50) + " ms");
  }
  pqxx::read_transaction txn(conn);
  const double raw_bytes = bytes_per_row(txn, "readings_raw");
  const double hourly = bytes_per_row(txn, "rollup_hourly");
  const double daily = bytes_per_row(txn, "rollup_daily");
  // 1,000 rooms at a reading per 10 s, raw kept 90 days, rollups for the year.
  const double raw_90d = 1000.0 * 8640 * 90 * raw_bytes;
  const double rollups_year = 1000.0 * (8760 * hourly + 365 * daily);
  std::printf(
      "\nBytes on disk (heap and indexes): %.0f per raw reading (closed days, keys compacted), "
      "%.0f per hourly rollup row, %.0f per daily rollup row. A year of 1,000 rooms at a reading "
      "per 10 s with `retention.readings: 90d`: raw readings %.1f GB (the last 90 days, 778M "
      "readings) + rollups %.2f GB (8.76M hourly and 365k daily rows) = %.1f GB, against %.0f GB "
      "for the year raw at 178 bytes a reading before migration 004.\n",
      raw_bytes, hourly, daily, raw_90d / 1e9, rollups_year / 1e9, (raw_90d + rollups_year) / 1e9,
      1000.0 * 8640 * 365 * 178 / 1e9);
  std::printf(
      "\nREST: %d requests per question after one warm-up, one at a time; raw SQL: %d "
      "runs. \"Same counts\": every step's count equal both ways.\n",
      o.reps, o.raw_reps);
  return ok ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app("roomtemp history benchmark: a year of history from the rollups and from raw rows");
  app.add_option("--dsn", o.dsn, "libpq connection string without dbname (a superuser)")
      ->required();
  app.add_option("--db", o.db, "the database to make (setup) or ask (measure)")->required();
  app.add_option("--url", o.url, "measure: roomtempd's REST API, e.g. http://127.0.0.1:8080");
  app.add_option("--rooms", o.rooms, "rooms with a year of rollups");
  app.add_option("--rooms-per-building", o.rooms_per_building,
                 "rooms per building (B0's are raw too)");
  app.add_option("--days", o.days, "days of history");
  app.add_option("--reps", o.reps, "REST requests per question");
  app.add_option("--raw-reps", o.raw_reps, "raw SQL runs per question");
  std::string what;
  app.add_option("what", what, "setup or measure")
      ->required()
      ->check(CLI::IsMember({"setup", "measure"}));
  CLI11_PARSE(app, argc, argv);
  try {
    if (what == "setup") {
      setup(o);
      return 0;
    }
    if (o.url.empty()) throw std::runtime_error("measure needs --url");
    return measure(o);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "history_bench: %s\n", e.what());
    return 1;
  }
}
