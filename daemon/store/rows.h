#pragma once
// How readings and rejections become rows of PostgreSQL and back: one codec for the writer's
// COPY, its RETURNING, the warm start and the spool replay (docs/database.md has the tables).
#include <cstdint>
#include <pqxx/row>
#include <pqxx/transaction_base>
#include <string>
#include <vector>

#include "reading.h"
#include "series_ids.h"

namespace roomtemp {

/// The columns reading_from_row() reads, in its order: for a SELECT or a RETURNING list.
inline constexpr const char* kReadingColumnsSql =
    "building, room, metric, (extract(epoch FROM ts) * 1000000)::bigint, value, sensor_id,"
    " (extract(epoch FROM received_at) * 1000000)::bigint";

/// A row of kReadingColumnsSql as a Reading.
Reading reading_from_row(const pqxx::row& row);

/// A float8 as COPY text: the shortest digits that read back as exactly `v`.
std::string float_text(double v);

/// COPYs the readings of `batch` into `table` (readings_raw, or its staging table), each with
/// its ids (`ids`, from SeriesIds::resolve, in the order of the batch's readings).
void copy_readings(pqxx::transaction_base& txn, const char* table,
                   const std::vector<Inbound>& batch, const std::vector<RowIds>& ids);

/// COPYs the rejections of `batch` into `table` (rejected_readings, or its staging table).
void copy_rejections(pqxx::transaction_base& txn, const char* table,
                     const std::vector<Inbound>& batch);

/// COPYs the alarm events of `batch` into `table` (the staging table of alarm_events), each
/// with its place in the batch (`n`), so that they can be stored in that order.
void copy_alarm_events(pqxx::transaction_base& txn, const char* table,
                       const std::vector<Inbound>& batch);

/// The id of the rejection that keeps a reading PostgreSQL refused: derived from the
/// reading's identity, so refusing it again (after a replay) names the same rejection.
std::uint64_t refused_reading_id(const Reading& r);

/// A reading as the JSON payload a sensor would send: what rejected_readings keeps of a
/// reading PostgreSQL refused.
std::string reading_json(const Reading& r);

}  // namespace roomtemp
