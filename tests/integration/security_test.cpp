// Transport and identity (the MQTT side): roomtempd talks to mosquitto over TLS,
// verifying the broker's certificate and name against mqtt.tls.ca_file (and presenting a
// client certificate when the broker asks for one); it logs in with mqtt.username and the
// password from mqtt.password_file under the ACL shipped in config/mosquitto/roomtemp.acl; and
// when any of that is wrong it says so, once, in words an operator can act on, and /readyz
// stays 503.
//
// The certificates come from a throw-away CA made with the openssl CLI; the password file from
// mosquitto_passwd. One PostgreSQL serves the whole file (a fresh database per test).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "harness/harness.h"

#ifndef ROOMTEMP_SOURCE_DIR
#error "ROOMTEMP_SOURCE_DIR must name the source tree (for config/mosquitto/roomtemp.acl)"
#endif

namespace roomtemp::harness {
namespace {

/// A certificate and its private key, as files.
struct CertFiles {
  std::string cert;
  std::string key;
};

/// A throw-away PKI made with the openssl CLI (P-256 keys, valid for two days). Skips the test
/// (exit 77) when openssl is not installed.
class Pki {
 public:
  Pki() {
    auto found = find_program("openssl");
    if (!found) skip("openssl is not installed (apt-get install openssl)");
    openssl_ = *found;
  }

  /// A self-signed CA.
  CertFiles make_ca(const std::string& name) {
    CertFiles ca{dir_.file(name + ".crt"), dir_.file(name + ".key")};
    const std::string ext = extensions(name,
                                       "basicConstraints = critical, CA:TRUE\n"
                                       "keyUsage = critical, keyCertSign, cRLSign\n"
                                       "subjectKeyIdentifier = hash\n");
    openssl({"req", "-x509", "-config", ext, "-extensions", "ext", "-newkey", "ec", "-pkeyopt",
             "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", ca.key, "-out", ca.cert, "-days",
             "2", "-subj", "/CN=" + name});
    return ca;
  }

  /// A server certificate for the names in `subject_alt_names` (e.g. "IP:127.0.0.1"), or a
  /// client certificate when that is empty, signed by `ca`.
  CertFiles issue(const CertFiles& ca, const std::string& name,
                  const std::string& subject_alt_names = "") {
    CertFiles out{dir_.file(name + ".crt"), dir_.file(name + ".key")};
    const std::string ext = extensions(
        name, subject_alt_names.empty() ? "basicConstraints = critical, CA:FALSE\n"
                                          "keyUsage = critical, digitalSignature\n"
                                          "extendedKeyUsage = clientAuth\n"
                                        : "basicConstraints = critical, CA:FALSE\n"
                                          "keyUsage = critical, digitalSignature, keyEncipherment\n"
                                          "extendedKeyUsage = serverAuth\n"
                                          "subjectAltName = " +
                                              subject_alt_names + "\n");
    const std::string csr = dir_.file(name + ".csr");
    openssl({"req", "-new", "-config", ext, "-newkey", "ec", "-pkeyopt",
             "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", out.key, "-out", csr, "-subj",
             "/CN=" + name});
    openssl({"x509", "-req", "-in", csr, "-CA", ca.cert, "-CAkey", ca.key, "-set_serial",
             std::to_string(++serial_), "-days", "2", "-extfile", ext, "-extensions", "ext", "-out",
             out.cert});
    return out;
  }

 private:
  /// An openssl config file for `name` whose section [ext] holds `lines`.
  std::string extensions(const std::string& name, const std::string& lines) {
    const std::string path = dir_.file(name + ".cnf");
    write_file(path, "[req]\ndistinguished_name = dn\n[dn]\n[ext]\n" + lines);
    return path;
  }

  void openssl(std::vector<std::string> args) {
    ProcessSpec spec;
    spec.argv = {openssl_};
    spec.argv.insert(spec.argv.end(), args.begin(), args.end());
    const RunResult r = run(std::move(spec), std::chrono::seconds(30));
    if (r.exit_code != 0) throw std::runtime_error("openssl " + args[0] + " failed:\n" + r.output);
  }

  TempDir dir_{"roomtemp-pki"};
  std::string openssl_;
  int serial_ = 1000;
};

/// The users of config/mosquitto/roomtemp.acl, each with its password.
struct Login {
  std::string user;
  std::string password;
};

class SecurityTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    pg_ = new Postgres;
    pki_ = new Pki;
    ca_ = pki_->make_ca("roomtemp-test-ca");
    other_ca_ = pki_->make_ca("unrelated-ca");
    // roomtempd connects to 127.0.0.1 (default_config's mqtt.host): the name the broker's
    // certificate must carry.
    server_ = pki_->issue(ca_, "broker", "IP:127.0.0.1, DNS:localhost");
    misnamed_server_ = pki_->issue(ca_, "misnamed-broker", "DNS:broker.invalid");
    client_ = pki_->issue(ca_, "roomtempd-client");
  }
  static void TearDownTestSuite() {
    delete pki_;
    pki_ = nullptr;
    delete pg_;
    pg_ = nullptr;
  }

  void SetUp() override {
    db_ = unique_name("security");
    pg_->create_database(db_);
  }

  /// default_config for `broker` with `mqtt_lines` (indented two spaces) added to its mqtt
  /// section, log level trace (so that a leaked secret would show).
  std::string config(const Broker& broker, const std::string& mqtt_lines) const {
    std::string yaml = default_config(broker, *pg_, dir_, {.database = db_, .log_level = "trace"});
    const std::string anchor = "  keepalive: 30s\n";
    const auto at = yaml.find(anchor);
    if (at == std::string::npos) throw std::logic_error("default_config has no keepalive line");
    yaml.insert(at + anchor.size(), mqtt_lines);
    return yaml;
  }

  /// The mqtt.tls lines for `ca`, with our client certificate when `client_cert`.
  static std::string tls_lines(const CertFiles& ca, bool client_cert) {
    std::string y = "  tls:\n    ca_file: \"" + ca.cert + "\"\n";
    if (client_cert)
      y += "    cert_file: \"" + client_.cert + "\"\n    key_file: \"" + client_.key + "\"\n";
    return y;
  }

  /// A mosquitto_passwd file for `logins`, made the way docs/security.md says.
  std::string password_file(const std::vector<Login>& logins) const {
    auto found = find_program("mosquitto_passwd");
    if (!found) skip("mosquitto_passwd is not installed (apt-get install mosquitto)");
    const std::string path = dir_.file("mosquitto.passwd");
    for (std::size_t i = 0; i < logins.size(); ++i) {
      ProcessSpec spec;
      spec.argv = {*found};
      if (i == 0) spec.argv.push_back("-c");
      spec.argv.insert(spec.argv.end(), {"-b", path, logins[i].user, logins[i].password});
      const RunResult r = run(std::move(spec), std::chrono::seconds(30));
      if (r.exit_code != 0) throw std::runtime_error("mosquitto_passwd failed:\n" + r.output);
    }
    return path;
  }

  /// The broker as config/mosquitto/roomtemp.conf sets it up: no anonymous clients, the
  /// password file, and the shipped ACL file itself (so that the example cannot drift).
  BrokerOptions locked_broker(const std::vector<Login>& logins) const {
    return {.allow_anonymous = false,
            .password_file = password_file(logins),
            .acl_file = std::string(ROOMTEMP_SOURCE_DIR) + "/config/mosquitto/roomtemp.acl"};
  }

  long long stored(const std::string& where = "true") const {
    return pg_->query_count("SELECT count(*) FROM readings WHERE " + where, db_);
  }

  /// Waits until `daemon`'s log has `text` (false after `timeout` or when it exits).
  static bool wait_log(Daemon& daemon, const std::string& text,
                       std::chrono::milliseconds timeout = 15s) {
    return wait_until(
               [&] { return daemon.log().find(text) != std::string::npos || !daemon.running(); },
               timeout, 50ms) &&
           daemon.log().find(text) != std::string::npos;
  }

  /// Asserts that `daemon` runs but is not ready: /readyz comes to answer 503 naming `why`,
  /// and roomtemp_mqtt_connected is 0. /readyz speaks for the subscribing client, which finds
  /// the reason on its own attempt: the log line a test waited for may be the publisher's.
  static void expect_not_ready_because(Daemon& daemon, const std::string& why) {
    const HttpResponse ready = daemon.poll_get("/readyz", 503, why);
    ASSERT_TRUE(daemon.running()) << "roomtempd exited";
    EXPECT_EQ(ready.status, 503) << ready.body;
    EXPECT_NE(ready.body.find(why), std::string::npos) << ready.body;
    const auto connected =
        prometheus_value(daemon.http_get("/metrics").body, "roomtemp_mqtt_connected");
    ASSERT_TRUE(connected.has_value());
    EXPECT_EQ(*connected, 0);
  }

  /// How often `text` occurs in `log` (each of the lines we count holds it once).
  static int lines_with(const std::string& log, const std::string& text) {
    int n = 0;
    for (auto p = log.find(text); p != std::string::npos; p = log.find(text, p + text.size())) ++n;
    return n;
  }

  /// Connection attempts the broker turned down in the TLS handshake. mosquitto logs each one
  /// either as "OpenSSL Error[0]: …" (its handshake had begun when the failure arrived) or as
  /// "Client connection from … failed: …" (the failure was there when it accepted the
  /// connection); which one is a matter of timing.
  static int tls_refusals(const std::string& broker_log) {
    return lines_with(broker_log, "OpenSSL Error[0]") +
           lines_with(broker_log, "Client connection from ");
  }

  /// Attempts the broker refused because of the login.
  static int login_refusals(const std::string& broker_log) {
    return lines_with(broker_log, "disconnected, not authorised");
  }

  /// Waits until the broker has refused at least `n` connection attempts, as `refusals` counts
  /// them in its log.
  static bool wait_broker_refusals(const Broker& broker, int (*refusals)(const std::string&),
                                   int n) {
    return wait_until([&] { return refusals(broker.log()) >= n; }, 15s, 50ms);
  }

  static inline Postgres* pg_ = nullptr;
  static inline Pki* pki_ = nullptr;
  static inline CertFiles ca_, other_ca_, server_, misnamed_server_, client_;
  std::string db_;
  TempDir dir_;
};

const std::string kReadingTopic = "buildings/B1/rooms/101/temperature";

TEST_F(SecurityTest, TlsWithClientCertificateStoresReadings) {
  Broker broker({.tls = {.ca_file = ca_.cert,
                         .cert_file = server_.cert,
                         .key_file = server_.key,
                         .require_certificate = true}});
  Daemon daemon(config(broker, tls_lines(ca_, true)));
  ASSERT_TRUE(daemon.wait_ready(30s)) << "roomtempd did not become ready over TLS";

  MqttClient sensor(
      broker.port(),
      {.tls_ca_file = ca_.cert, .tls_cert_file = client_.cert, .tls_key_file = client_.key});
  for (int i = 0; i < 5; ++i) sensor.publish(kReadingTopic, std::to_string(20 + i));
  EXPECT_TRUE(wait_until([&] { return stored() >= 5; }, 20s, 50ms));
  EXPECT_EQ(stored(), 5);
  EXPECT_EQ(pg_->query_value("SELECT sum(value) FROM readings", db_), "110");

  // The averages come back over TLS too.
  MqttClient dashboard(
      broker.port(),
      {.tls_ca_file = ca_.cert, .tls_cert_file = client_.cert, .tls_key_file = client_.key});
  dashboard.subscribe(kReadingTopic + "/average/1m");
  EXPECT_TRUE(dashboard.wait_for(
      [](const std::vector<MqttMessage>& ms) {
        for (const auto& m : ms)
          if (nlohmann::json::parse(m.payload).value("count", 0) == 5) return true;
        return false;
      },
      10s))
      << "no 1m average over 5 readings";

  // Every handshake went through.
  EXPECT_EQ(tls_refusals(broker.log()), 0) << broker.log();
}

TEST_F(SecurityTest, TlsWithAnUnrelatedCaIsRefusedAndSaysWhy) {
  Broker broker({.tls = {.ca_file = ca_.cert, .cert_file = server_.cert, .key_file = server_.key}});
  Daemon daemon(config(broker, tls_lines(other_ca_, false)));
  const std::string why =
      "the broker's certificate failed verification with mqtt.tls.ca_file '" + other_ca_.cert + "'";
  ASSERT_TRUE(wait_log(daemon, why)) << "no log line naming the certificate problem";
  // Several attempts (the broker sees each handshake fail), yet one line per MQTT client
  // (subscriber and publisher): a reconnect loop does not flood the log.
  EXPECT_TRUE(wait_broker_refusals(broker, tls_refusals, 4)) << broker.log();
  std::this_thread::sleep_for(200ms);  // the daemon's side of the last attempt
  const std::string log = daemon.log();
  EXPECT_NE(log.find("error mqtt: cannot connect to 127.0.0.1:" + std::to_string(broker.port())),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("certificate verify failed"), std::string::npos) << log;
  EXPECT_EQ(lines_with(log, why), 2) << log;
  expect_not_ready_because(daemon, why);
}

TEST_F(SecurityTest, BrokerCertificateForAnotherNameIsRefusedUntilFixed) {
  // Signed by the right CA, but for broker.invalid, while roomtempd connects to 127.0.0.1.
  const std::string cert = dir_.file("broker.crt"), key = dir_.file("broker.key");
  write_file(cert, read_file(misnamed_server_.cert));
  write_file(key, read_file(misnamed_server_.key));
  Broker broker({.tls = {.ca_file = ca_.cert, .cert_file = cert, .key_file = key}});
  Daemon daemon(config(broker, tls_lines(ca_, false)));
  const std::string why = "the broker's certificate does not name mqtt.host '127.0.0.1'";
  ASSERT_TRUE(wait_log(daemon, why)) << "no log line naming the host name problem";
  // Two rounds of attempts by both of its clients: TLS errors do not stop the retries.
  EXPECT_TRUE(wait_broker_refusals(broker, tls_refusals, 4)) << broker.log();
  const std::string log = daemon.log();
  // The precise reason only, not OpenSSL's generic "verify failed" after it as well.
  EXPECT_EQ(log.find("failed verification with mqtt.tls.ca_file"), std::string::npos) << log;
  expect_not_ready_because(daemon, why);

  // The broker gets a certificate with the right name: roomtempd, still retrying after the TLS
  // errors (libmosquitto's own loop thread gives up for good after one), connects.
  broker.stop();
  write_file(cert, read_file(server_.cert));
  write_file(key, read_file(server_.key));
  broker.start();
  EXPECT_TRUE(daemon.wait_ready(30s)) << daemon.http_get("/readyz").body;
}

TEST_F(SecurityTest, TlsToAPlainListenerSaysSo) {
  Broker broker;
  Daemon daemon(config(broker, tls_lines(ca_, false)));
  const std::string why = "no TLS answer from 127.0.0.1:" + std::to_string(broker.port());
  ASSERT_TRUE(wait_log(daemon, why)) << "no log line saying the port does not speak TLS";
  expect_not_ready_because(daemon, why);
}

TEST_F(SecurityTest, TlsBrokerDemandingAClientCertificateSaysSo) {
  Broker broker({.tls = {.ca_file = ca_.cert,
                         .cert_file = server_.cert,
                         .key_file = server_.key,
                         .require_certificate = true}});
  Daemon daemon(config(broker, tls_lines(ca_, false)));
  const std::string why = "the broker requires a client certificate";
  ASSERT_TRUE(wait_log(daemon, why)) << "no log line naming the missing client certificate";
  expect_not_ready_because(daemon, why);
}

TEST_F(SecurityTest, PasswordFromFileUnderTheShippedAcl) {
  const Login roomtempd{"roomtempd", "d43m0n-" + unique_name("pw")};
  const Login sensor_login{"sensor", "s3ns0r-" + unique_name("pw")};
  const Login dashboard_login{"dashboard", "d4shb0ard-" + unique_name("pw")};
  Broker broker(locked_broker({roomtempd, sensor_login, dashboard_login}));

  const std::string secret = dir_.file("mqtt-password");
  write_file(secret, roomtempd.password + "\n");  // as `echo … >` leaves it
  const std::string yaml =
      config(broker, "  username: roomtempd\n  password_file: \"" + secret + "\"\n");
  ASSERT_EQ(yaml.find(roomtempd.password), std::string::npos);
  Daemon daemon(yaml);
  ASSERT_TRUE(daemon.wait_ready(30s)) << "roomtempd did not become ready under the shipped ACL";
  EXPECT_NE(broker.log().find("u'roomtempd'"), std::string::npos) << broker.log();

  MqttClient sensor(broker.port(),
                    {.username = sensor_login.user, .password = sensor_login.password});
  for (int i = 0; i < 4; ++i) sensor.publish(kReadingTopic, std::to_string(21 + i));
  sensor.publish("buildings/B1/rooms/102/temperature", "not a number");
  EXPECT_TRUE(wait_until([&] { return stored() >= 4; }, 20s, 50ms));
  EXPECT_EQ(stored(), 4);
  EXPECT_TRUE(wait_until(
      [&] { return pg_->query_count("SELECT count(*) FROM rejected_readings", db_) >= 1; }, 10s,
      50ms));

  // A dashboard user reads the averages roomtempd published, live and retained.
  auto has_count = [](const std::vector<MqttMessage>& ms, const std::string& topic, int count,
                      bool retained) {
    for (const auto& m : ms)
      if (m.topic == topic && (m.retain || !retained) &&
          nlohmann::json::parse(m.payload).value("count", 0) == count)
        return true;
    return false;
  };
  auto both_averages = [&](const std::vector<MqttMessage>& ms, bool retained) {
    return has_count(ms, kReadingTopic + "/average/15m", 4, retained) &&
           has_count(ms, "buildings/B1/temperature/average/15m", 4, retained);
  };
  const MqttClientOptions dashboard_options{.username = dashboard_login.user,
                                            .password = dashboard_login.password};
  MqttClient dashboard(broker.port(), dashboard_options);
  dashboard.subscribe("buildings/+/rooms/+/+/average/+");
  dashboard.subscribe("buildings/+/+/average/+");
  dashboard.subscribe("roomtemp/rejected");
  EXPECT_TRUE(dashboard.wait_for([&](const auto& ms) { return both_averages(ms, false); }, 10s))
      << "the dashboard user did not get the room and building averages";
  {
    // Subscribing now, after the broker has them, it gets the retained copies.
    MqttClient late(broker.port(), dashboard_options);
    late.subscribe("buildings/+/rooms/+/+/average/+");
    late.subscribe("buildings/+/+/average/+");
    EXPECT_TRUE(late.wait_for([&](const auto& ms) { return both_averages(ms, true); }, 10s))
        << "the dashboard user did not get the retained averages";
  }

  // What the ACL forbids does not happen: a sensor forging an average or a rejection, a
  // dashboard injecting a reading. (MQTT 3.1.1 acknowledges a denied publish all the same.)
  dashboard.clear_messages();
  sensor.publish("buildings/B9/rooms/999/temperature/average/1m", R"({"avg":999})");
  sensor.publish("buildings/B9/temperature/average/1m", R"({"avg":999})");
  sensor.publish("roomtemp/rejected", R"({"forged":true})");
  dashboard.publish("buildings/B9/rooms/998/temperature", "20");
  // A rejection the daemon publishes itself, after the forgeries: once it is in, so would they be.
  sensor.publish("buildings/B1/rooms/103/temperature", "still not a number");
  EXPECT_TRUE(dashboard.wait_for(
      [](const std::vector<MqttMessage>& ms) {
        for (const auto& m : ms)
          if (m.topic == "roomtemp/rejected" &&
              m.payload.find("still not a number") != std::string::npos)
            return true;
        return false;
      },
      10s));
  // And its row: the writer commits in the order roomtempd received, so a reading injected
  // before it would be stored by now.
  EXPECT_TRUE(wait_until(
      [&] {
        return pg_->query_count(
                   "SELECT count(*) FROM rejected_readings WHERE "
                   "convert_from(payload, 'UTF8') = 'still not a number'",
                   db_) == 1;
      },
      10s, 50ms));
  EXPECT_TRUE(dashboard.messages_on("buildings/B9/#").empty());
  for (const auto& m : dashboard.messages_on("roomtemp/rejected"))
    EXPECT_EQ(m.payload.find("forged"), std::string::npos) << m.payload;
  EXPECT_EQ(stored("building = 'B9'"), 0);

  // The password is in no log line, even at trace level.
  EXPECT_EQ(daemon.log().find(roomtempd.password), std::string::npos);
}

TEST_F(SecurityTest, WrongPasswordIsNotAuthorisedAndNotReady) {
  const Login roomtempd{"roomtempd", "right-" + unique_name("pw")};
  Broker broker(locked_broker({roomtempd}));
  const std::string wrong = "wrong-" + unique_name("pw");
  const std::string secret = dir_.file("mqtt-password");
  write_file(secret, wrong + "\n");
  Daemon daemon(config(broker, "  username: roomtempd\n  password_file: \"" + secret + "\"\n"));
  const std::string why = "the broker refused the connection: Connection Refused: not authorised";
  ASSERT_TRUE(wait_log(daemon, why)) << "no log line saying the broker refused the login";
  // The broker turns down several attempts; roomtempd says so once per client.
  EXPECT_TRUE(wait_broker_refusals(broker, login_refusals, 4)) << broker.log();
  std::this_thread::sleep_for(200ms);
  const std::string log = daemon.log();
  EXPECT_EQ(lines_with(log, why), 2) << log;
  expect_not_ready_because(daemon, "not authorised");
  EXPECT_EQ(log.find(wrong), std::string::npos) << "the password is in the log";
}

TEST_F(SecurityTest, PasswordCannotBeWrittenIntoTheConfig) {
  // There is no mqtt.password key: a password in the YAML is an error, not a silent default.
  Broker broker;
  const std::string path = dir_.file("with-password.yaml");
  write_file(path, config(broker, "  username: roomtempd\n  password: hunter2\n"));
  const RunResult r = run_roomtempd({"--check-config", "--config", path});
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("password"), std::string::npos) << r.output;
}

// PostgreSQL with password authentication for roomtempd's own role: the password comes from
// postgres.password_file (never from the YAML, never into the log); a wrong one keeps the
// daemon running but not ready, naming PostgreSQL.
TEST_F(SecurityTest, PostgresPasswordComesFromPasswordFile) {
  const std::string role = unique_name("rt_writer");
  const std::string password = "pg-" + unique_name("pw");
  pg_->query("CREATE ROLE " + role + " LOGIN PASSWORD '" + password + "'", "postgres");
  pg_->query("ALTER DATABASE \"" + db_ + "\" OWNER TO " + role, "postgres");
  // Password authentication for that role only, ahead of the harness's trust lines.
  const std::string hba = pg_->query_value("SHOW hba_file", "postgres");
  write_file(hba, "host all " + role + " 127.0.0.1/32 scram-sha-256\n" + read_file(hba));
  pg_->query("SELECT pg_reload_conf()", "postgres");

  Broker broker;
  const std::string secret = dir_.file("pg-password");
  std::string yaml = config(broker, "");
  const auto user = yaml.find("user=postgres");
  ASSERT_NE(user, std::string::npos) << yaml;
  yaml.replace(user, std::string("user=postgres").size(), "user=" + role);
  yaml.insert(yaml.find("postgres:\n") + std::string("postgres:\n").size(),
              "  password_file: \"" + secret + "\"\n");
  ASSERT_EQ(yaml.find(password), std::string::npos);

  {
    const std::string wrong = "wrong-" + unique_name("pw");
    write_file(secret, wrong + "\n");
    Daemon daemon(yaml);
    ASSERT_TRUE(wait_log(daemon, "password authentication failed for user \"" + role + "\""))
        << "no log line saying PostgreSQL refused the password";
    ASSERT_TRUE(daemon.running()) << "roomtempd exited";
    const HttpResponse ready = daemon.poll_get("/readyz", 503);
    EXPECT_EQ(ready.status, 503) << ready.body;
    EXPECT_EQ(daemon.log().find(wrong), std::string::npos) << "the password is in the log";
  }

  write_file(secret, password + "\n");
  Daemon daemon(yaml);
  ASSERT_TRUE(daemon.wait_ready(30s)) << daemon.log();
  MqttClient sensor(broker.port());
  sensor.publish("buildings/B1/rooms/101/temperature", "21.5", 1);
  EXPECT_TRUE(wait_until(
      [&] { return pg_->query_count("SELECT count(*) FROM readings", db_) == 1; }, 10s, 50ms));
  EXPECT_EQ(pg_->query_value("SELECT string_agg(DISTINCT usename, ',') FROM pg_stat_activity "
                             "WHERE datname = '" +
                                 db_ + "' AND pid <> pg_backend_pid()",
                             "postgres"),
            role);
  EXPECT_EQ(daemon.log().find(password), std::string::npos) << "the password is in the log";
}

}  // namespace
}  // namespace roomtemp::harness
