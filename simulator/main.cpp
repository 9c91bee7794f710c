// roomtemp-sim: plays the sensors. Parse the options, then run until done.
#include <exception>
#include <variant>

#include "log.h"
#include "sim_options.h"
#include "simulation.h"

int main(int argc, char** argv) {
  using namespace roomtemp::sim;
  auto parsed = parse_sim_options(argc, argv);
  if (const auto* early = std::get_if<EarlyExit>(&parsed)) return early->code;
  try {
    return run(std::get<SimOptions>(parsed));
  } catch (const std::exception& e) {
    roomtemp::component_log("sim")->error("{}", e.what());
    return 1;
  }
}
