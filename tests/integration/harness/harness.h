#pragma once
// The integration-test harness: real mosquitto, PostgreSQL and roomtempd on free loopback
// ports, with RAII cleanup and bounded waits. See tests/integration/README.md.
#include "harness/broker.h"
#include "harness/browser.h"
#include "harness/daemon.h"
#include "harness/fixture.h"
#include "harness/mqtt_client.h"
#include "harness/net.h"
#include "harness/notify_socket.h"
#include "harness/postgres.h"
#include "harness/process.h"
#include "harness/rollups.h"
#include "harness/sql_checks.h"
#include "harness/stream.h"
#include "harness/temp_dir.h"
#include "harness/text.h"
#include "harness/wait.h"
