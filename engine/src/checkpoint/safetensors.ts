/**
 * The safetensors format, read and written directly: an 8-byte little-endian header length, a JSON
 * header `{name: {dtype, shape, data_offsets}, __metadata__}`, then the raw little-endian data.
 * Tensors are read with positioned reads, one at a time, so a multi-GB checkpoint is never held twice.
 */
import { open, rename, rm } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { endianness } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { IntrospectError } from '../errors';
import {
  bfloat16ArrayToFloat32,
  float16ArrayToFloat32,
  float32ArrayToBfloat16,
  float32ArrayToFloat16,
} from './halfFloat';

if (endianness() !== 'LE') throw new Error('Introspect reads tensors in place and needs a little-endian host');

/** A float tensor in memory (every float dtype is widened to float32 on load). */
export interface Tensor {
  dtype: 'float32';
  shape: number[];
  data: Float32Array;
}

/** An integer tensor (token ids, masks), kept in its own width. */
export type IntTensor =
  | { dtype: 'int64'; shape: number[]; data: BigInt64Array }
  | { dtype: 'int32'; shape: number[]; data: Int32Array };

/** Bytes per element of every dtype the safetensors format defines. */
const ITEM_SIZE: Record<string, number> = {
  F64: 8, F32: 4, F16: 2, BF16: 2, F8_E4M3: 1, F8_E5M2: 1,
  I64: 8, I32: 4, I16: 2, I8: 1, U64: 8, U32: 4, U16: 2, U8: 1, BOOL: 1,
};
const FLOAT_DTYPES = ['F32', 'F16', 'BF16', 'F64'];
const INT_DTYPES = ['I64', 'I32'];

export interface TensorInfo {
  name: string;
  /** Stored dtype, as the file names it (F32, BF16, ...). */
  dtype: string;
  shape: number[];
  /** Absolute byte range [begin, end) in the file. */
  begin: number;
  end: number;
}

export interface SafetensorsHeader {
  path: string;
  /** Tensors in file order. */
  tensors: Map<string, TensorInfo>;
  metadata: Record<string, string>;
}

/** The safetensors reference implementation refuses headers over 100 MB; so do we. */
const MAX_HEADER_BYTES = 100_000_000;
/** fs reads and writes are limited to 2 GiB per call. */
const MAX_IO_BYTES = 1 << 30;

/** Reads and validates the header only. */
export async function readSafetensorsHeader(path: string): Promise<SafetensorsHeader> {
  const file = await openSafetensors(path);
  await file.close();
  return file.header;
}

/**
 * Reads float tensors (F32/F16/BF16/F64, all returned as float32): every tensor, or only `names`.
 * A requested name that the file lacks, or an integer tensor among those read, is an error.
 */
export async function readSafetensors(
  path: string,
  opts: { names?: Iterable<string> } = {},
): Promise<Map<string, Tensor>> {
  const file = await openSafetensors(path);
  try {
    const names = opts.names ? [...opts.names] : [...file.header.tensors.keys()];
    const out = new Map<string, Tensor>();
    for (const name of names) out.set(name, await file.readFloat(name));
    return out;
  } finally {
    await file.close();
  }
}

/** An open safetensors file whose header has been validated; read tensors by name. */
export interface SafetensorsFile {
  header: SafetensorsHeader;
  readFloat(name: string): Promise<Tensor>;
  readInt(name: string): Promise<IntTensor>;
  close(): Promise<void>;
}

export async function openSafetensors(path: string): Promise<SafetensorsFile> {
  let fh: FileHandle;
  try {
    fh = await open(path, 'r');
  } catch (e) {
    throw new IntrospectError(`cannot open safetensors file (${(e as NodeJS.ErrnoException).code ?? e})`, path);
  }
  const st = await fh.stat();
  if (!st.isFile()) {
    await fh.close();
    throw new IntrospectError(st.isDirectory() ? 'is a folder, not a safetensors file' : 'is not a regular file', path);
  }
  try {
    const header = await parseHeader(fh, path);
    return {
      header,
      readFloat: (name) => readFloat(fh, header, name),
      readInt: (name) => readInt(fh, header, name),
      close: () => fh.close(),
    };
  } catch (e) {
    await fh.close();
    throw e;
  }
}

async function parseHeader(fh: FileHandle, path: string): Promise<SafetensorsHeader> {
  const fail = (msg: string) => new IntrospectError(msg, path);
  const size = (await fh.stat()).size;
  if (size < 8) throw fail(`truncated safetensors file: ${size} bytes, less than the 8-byte header length`);
  const lenBuf = Buffer.alloc(8);
  await readFully(fh, lenBuf, 0, path);
  const headerLen = lenBuf.readBigUInt64LE(0);
  if (headerLen > BigInt(size - 8)) {
    throw fail(`header length ${headerLen} is larger than the file (${size} bytes): not a safetensors file, or truncated`);
  }
  if (headerLen > BigInt(MAX_HEADER_BYTES)) throw fail(`header length ${headerLen} exceeds ${MAX_HEADER_BYTES} bytes`);
  const n = Number(headerLen);
  const headerBuf = Buffer.alloc(n);
  await readFully(fh, headerBuf, 8, path);
  let json: unknown;
  try {
    json = JSON.parse(headerBuf.toString('utf8'));
  } catch (e) {
    throw fail(`header is not valid JSON (${(e as Error).message})`);
  }
  if (!isObject(json)) throw fail('header is not a JSON object');

  const dataStart = 8 + n;
  const dataBytes = size - dataStart;
  const tensors = new Map<string, TensorInfo>();
  let metadata: Record<string, string> = {};
  for (const [name, entry] of Object.entries(json)) {
    if (name === '__metadata__') {
      if (!isObject(entry) || !Object.values(entry).every((v) => typeof v === 'string')) {
        throw fail('__metadata__ must map strings to strings');
      }
      metadata = entry as Record<string, string>;
      continue;
    }
    const bad = (msg: string) => fail(`tensor '${name}': ${msg}`);
    if (!isObject(entry)) throw bad('header entry is not an object');
    const { dtype, shape, data_offsets: offsets } = entry as Record<string, unknown>;
    if (typeof dtype !== 'string') throw bad('missing dtype');
    const itemSize = ITEM_SIZE[dtype];
    if (itemSize === undefined) {
      throw bad(`unsupported dtype '${dtype}' (known: ${Object.keys(ITEM_SIZE).join(', ')})`);
    }
    if (!Array.isArray(shape) || !shape.every(isCount)) throw bad(`shape ${JSON.stringify(shape)} is not a list of sizes`);
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount) || offsets[0] > offsets[1]) {
      throw bad(`data_offsets ${JSON.stringify(offsets)} is not a [begin, end] byte range`);
    }
    const [b, e] = offsets as [number, number];
    if (e > dataBytes) {
      throw bad(`data_offsets [${b}, ${e}] run past the data section (${dataBytes} bytes): the file is truncated or the header is wrong`);
    }
    const expected = (shape as number[]).reduce((p, d) => p * d, 1) * itemSize;
    if (e - b !== expected) {
      throw bad(`data_offsets [${b}, ${e}] hold ${e - b} bytes, but ${dtype} ${JSON.stringify(shape)} needs ${expected}`);
    }
    tensors.set(name, { name, dtype, shape: shape as number[], begin: dataStart + b, end: dataStart + e });
  }
  const byStart = [...tensors.values()].sort((x, y) => x.begin - y.begin || x.end - y.end);
  for (let i = 1; i < byStart.length; i++) {
    const [prev, cur] = [byStart[i - 1], byStart[i]];
    if (cur.begin < prev.end && cur.end > cur.begin) {
      throw fail(`tensors '${prev.name}' and '${cur.name}' overlap in the data section`);
    }
  }
  return { path, tensors, metadata };
}

function info(header: SafetensorsHeader, name: string): TensorInfo {
  const t = header.tensors.get(name);
  if (!t) throw new IntrospectError(`no tensor named '${name}'`, header.path);
  return t;
}

async function readFloat(fh: FileHandle, header: SafetensorsHeader, name: string): Promise<Tensor> {
  const t = info(header, name);
  const count = (t.end - t.begin) / ITEM_SIZE[t.dtype];
  const shape = [...t.shape];
  switch (t.dtype) {
    case 'F32': {
      const data = new Float32Array(count);
      await readFully(fh, new Uint8Array(data.buffer), t.begin, header.path);
      return { dtype: 'float32', shape, data };
    }
    case 'F16':
    case 'BF16': {
      const bits = new Uint16Array(count);
      await readFully(fh, new Uint8Array(bits.buffer), t.begin, header.path);
      const data = t.dtype === 'F16' ? float16ArrayToFloat32(bits) : bfloat16ArrayToFloat32(bits);
      return { dtype: 'float32', shape, data };
    }
    case 'F64': {
      const wide = new Float64Array(count);
      await readFully(fh, new Uint8Array(wide.buffer), t.begin, header.path);
      return { dtype: 'float32', shape, data: Float32Array.from(wide) };
    }
    default:
      throw new IntrospectError(
        `tensor '${name}' has dtype ${t.dtype}, which cannot be loaded as floats (supported: ${FLOAT_DTYPES.join(', ')})`,
        header.path,
      );
  }
}

async function readInt(fh: FileHandle, header: SafetensorsHeader, name: string): Promise<IntTensor> {
  const t = info(header, name);
  const shape = [...t.shape];
  const bytes = t.end - t.begin;
  if (t.dtype === 'I64') {
    const data = new BigInt64Array(bytes / 8);
    await readFully(fh, new Uint8Array(data.buffer), t.begin, header.path);
    return { dtype: 'int64', shape, data };
  }
  if (t.dtype === 'I32') {
    const data = new Int32Array(bytes / 4);
    await readFully(fh, new Uint8Array(data.buffer), t.begin, header.path);
    return { dtype: 'int32', shape, data };
  }
  throw new IntrospectError(
    `tensor '${name}' has dtype ${t.dtype}, which cannot be loaded as integers (supported: ${INT_DTYPES.join(', ')})`,
    header.path,
  );
}

/** Fills `target` from `position`, in chunks, treating a short read as truncation. */
async function readFully(fh: FileHandle, target: Uint8Array, position: number, path: string): Promise<void> {
  let done = 0;
  while (done < target.length) {
    const length = Math.min(MAX_IO_BYTES, target.length - done);
    const { bytesRead } = await fh.read(target, done, length, position + done);
    if (bytesRead === 0) throw new IntrospectError(`truncated safetensors file: unexpected end at byte ${position + done}`, path);
    done += bytesRead;
  }
}

export type StoredFloatDType = 'float32' | 'float16' | 'bfloat16';

/** A float tensor stored as float32/float16/bfloat16, or an int32 one (indices, token ids) stored as is. */
export type TensorToWrite = { dtype: StoredFloatDType; shape: number[]; data: Float32Array } | { dtype: 'int32'; shape: number[]; data: Int32Array };

const STORED: Record<TensorToWrite['dtype'], { tag: string; size: number }> = {
  float32: { tag: 'F32', size: 4 },
  int32: { tag: 'I32', size: 4 },
  float16: { tag: 'F16', size: 2 },
  bfloat16: { tag: 'BF16', size: 2 },
};

/** Numbers temporary files, so concurrent writes from this process never share one. */
let writes = 0;

/** Elements converted per write, so converting a large tensor never duplicates it whole. */
const WRITE_CHUNK = 1 << 22;

/**
 * Writes float32 data stored as float32/float16/bfloat16 (rounded to nearest even), and int32 data. Written to a
 * temporary file in the same folder and renamed into place, so readers never see a partial file.
 */
export async function writeSafetensors(
  path: string,
  tensors: Record<string, TensorToWrite>,
  metadata?: Record<string, string>,
): Promise<void> {
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length > 0) {
    if (!Object.values(metadata).every((v) => typeof v === 'string')) {
      throw new IntrospectError('__metadata__ values must be strings', path);
    }
    header.__metadata__ = metadata;
  }
  let offset = 0;
  for (const [name, t] of Object.entries(tensors)) {
    const stored = STORED[t.dtype];
    if (!stored) throw new IntrospectError(`tensor '${name}': cannot store dtype '${t.dtype}'`, path);
    if (!Array.isArray(t.shape) || !t.shape.every(isCount)) {
      throw new IntrospectError(`tensor '${name}': shape ${JSON.stringify(t.shape)} is not a list of sizes`, path);
    }
    const count = t.shape.reduce((p, d) => p * d, 1);
    if (t.data.length !== count) {
      throw new IntrospectError(`tensor '${name}': shape ${JSON.stringify(t.shape)} needs ${count} values, data has ${t.data.length}`, path);
    }
    const bytes = count * stored.size;
    header[name] = { dtype: stored.tag, shape: t.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  // Pad the header with spaces to an 8-byte boundary, as the reference writer does, so data is aligned.
  let json = Buffer.from(JSON.stringify(header), 'utf8');
  const padded = Math.ceil(json.length / 8) * 8;
  json = Buffer.concat([json, Buffer.alloc(padded - json.length, 0x20)]);

  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${++writes}.tmp`);
  const fh = await open(tmp, 'w');
  try {
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(json.length));
    await writeFully(fh, len);
    await writeFully(fh, json);
    for (const t of Object.values(tensors)) await writeData(fh, t);
    await fh.sync();
    await fh.close();
    await rename(tmp, path);
  } catch (e) {
    await fh.close().catch(() => undefined);
    await rm(tmp, { force: true });
    throw e;
  }
}

async function writeData(fh: FileHandle, t: TensorToWrite): Promise<void> {
  if (t.dtype === 'float32' || t.dtype === 'int32') {
    await writeFully(fh, new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
    return;
  }
  const convert = t.dtype === 'float16' ? float32ArrayToFloat16 : float32ArrayToBfloat16;
  const bits = new Uint16Array(Math.min(WRITE_CHUNK, t.data.length));
  for (let i = 0; i < t.data.length; i += WRITE_CHUNK) {
    const part = t.data.subarray(i, i + WRITE_CHUNK);
    const out = bits.subarray(0, part.length);
    convert(part, out);
    await writeFully(fh, new Uint8Array(out.buffer, out.byteOffset, out.byteLength));
  }
}

/** Appends all of `bytes`, in chunks under the 2 GiB per-call limit. */
async function writeFully(fh: FileHandle, bytes: Uint8Array): Promise<void> {
  let done = 0;
  while (done < bytes.length) {
    const { bytesWritten } = await fh.write(bytes, done, Math.min(MAX_IO_BYTES, bytes.length - done));
    done += bytesWritten;
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}
