import * as fs from 'node:fs';
import * as path from 'node:path';

/** Write a file atomically: a temporary file in the same folder, fsync, then rename over the target. */
export function writeFileAtomic(file: string, data: string | Buffer, encoding: BufferEncoding = 'utf8'): void {
  const dir = path.dirname(path.resolve(file));
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${Date.now().toString(36)}.tmp`);
  let mode: number | undefined;
  try {
    mode = fs.statSync(file).mode & 0o7777;
  } catch {
    mode = undefined;
  }
  const fd = fs.openSync(tmp, 'wx', mode ?? 0o644);
  try {
    if (typeof data === 'string') fs.writeSync(fd, data, 0, encoding);
    else fs.writeSync(fd, data);
    fs.fsyncSync(fd);
  } catch (e) {
    fs.closeSync(fd);
    fs.rmSync(tmp, { force: true });
    throw e;
  }
  fs.closeSync(fd);
  try {
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}

/** Fail before a long run, naming the user's path, when `file` could not be written (its folder is missing or read-only). */
export function checkWritable(file: string): void {
  const dir = path.dirname(path.resolve(file));
  let st: fs.Stats;
  try {
    st = fs.statSync(dir);
  } catch {
    throw new Error(`${file}: cannot write the report: folder ${path.dirname(file)} does not exist`);
  }
  if (!st.isDirectory()) throw new Error(`${file}: cannot write the report: ${path.dirname(file)} is not a folder`);
  try {
    fs.accessSync(dir, fs.constants.W_OK);
  } catch {
    throw new Error(`${file}: cannot write the report: folder ${path.dirname(file)} is not writable`);
  }
  try {
    if (fs.statSync(file).isDirectory()) throw new Error(`${file}: cannot write the report: it is a folder`);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
}
