// Checking that a log file could be opened, creating nothing (what `aio
// check` does): real files and directories in a temporary directory.
import { equal, throws } from "node:assert/strict";
import {
  checkLogFileOpens,
  creationBlocker,
} from "../../src/logging/_log_file_check.ts";

function entries(dir: string): string[] {
  return [...Deno.readDirSync(dir)].map((entry) => entry.name).sort();
}

Deno.test("a missing file under missing directories passes and creates nothing", () => {
  const dir = Deno.makeTempDirSync();
  try {
    checkLogFileOpens(`${dir}/a/b/app.log`);
    checkLogFileOpens(`${dir}/app.log`);
    equal(entries(dir).join(), "");
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("an existing file is opened for appending and left as it was", () => {
  const dir = Deno.makeTempDirSync();
  try {
    const path = `${dir}/app.log`;
    Deno.writeTextFileSync(path, "old\n");
    const past = new Date(Date.now() - 3600_000);
    Deno.utimeSync(path, past, past);
    checkLogFileOpens(path);
    equal(Deno.readTextFileSync(path), "old\n");
    equal(Deno.statSync(path).mtime?.getTime(), past.getTime());
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("a directory at the path, or a file where a directory must be, is refused", () => {
  const dir = Deno.makeTempDirSync();
  try {
    Deno.mkdirSync(`${dir}/app.log`);
    throws(() => checkLogFileOpens(`${dir}/app.log`), /Is a directory/);
    Deno.writeTextFileSync(`${dir}/file`, "");
    throws(
      () => checkLogFileOpens(`${dir}/file/deeper/app.log`),
      new RegExp(`'${dir}/file' is not a directory`),
    );
    equal(creationBlocker(`${dir}/file/deeper`), `${dir}/file`);
    equal(creationBlocker(`${dir}/missing/deeper`), undefined);
    equal(entries(dir).join(), "app.log,file");
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
