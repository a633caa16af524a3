// The action's main step: setup.sh does the work. A JavaScript action (not a composite) because only a
// JavaScript action can have a post step, and the job summary must be written after the job's gh calls.
"use strict";
const { spawnSync } = require("child_process");
const path = require("path");

const done = spawnSync("bash", [path.join(__dirname, "setup.sh")], { stdio: "inherit" });
if (done.error) {
  console.log(`::error title=ghcache::could not run bash: ${done.error.message}`);
}
process.exitCode = done.status === null ? 1 : done.status;
