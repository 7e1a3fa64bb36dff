import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { IntrospectError } from '../../engine/src/errors';
import {
  bfloat16BitsToFloat32,
  float16BitsToFloat32,
  float32ToBfloat16Bits,
  float32ToFloat16Bits,
} from '../../engine/src/checkpoint/halfFloat';
import {
  openSafetensors,
  readSafetensors,
  readSafetensorsHeader,
  writeSafetensors,
} from '../../engine/src/checkpoint/safetensors';
import { REFERENCE_MODELS as FIXTURES } from '../fixtures/referenceModels';

const dir = mkdtempSync(join(tmpdir(), 'introspect-st-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Builds a safetensors file byte by byte, so tests can make it lie. */
function rawFile(name: string, header: unknown, data: Buffer | number, headerText?: string): string {
  const json = Buffer.from(headerText ?? JSON.stringify(header), 'utf8');
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  const path = join(dir, name);
  writeFileSync(path, Buffer.concat([len, json, typeof data === 'number' ? Buffer.alloc(data) : data]));
  return path;
}

async function rejectsWith(p: Promise<unknown>, ...parts: (string | RegExp)[]): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof IntrospectError, `expected IntrospectError, got ${e}`);
    for (const part of parts) {
      if (typeof part === 'string') assert.ok(e.message.includes(part), `'${e.message}' lacks '${part}'`);
      else assert.match(e.message, part);
    }
    return true;
  });
}

describe('reading real checkpoints', () => {
  test('reads every tensor of a transformers-written checkpoint with the shapes its config implies', async () => {
    const path = join(FIXTURES, 'gpt2/model.safetensors');
    const config = JSON.parse(readFileSync(join(FIXTURES, 'gpt2/config.json'), 'utf8'));
    const header = await readSafetensorsHeader(path);
    assert.equal(header.metadata.format, 'pt');
    const weights = await readSafetensors(path);
    assert.deepEqual([...weights.keys()], [...header.tensors.keys()]);
    const wte = weights.get('transformer.wte.weight')!;
    assert.deepEqual(wte.shape, [config.vocab_size, config.n_embd]);
    assert.equal(wte.data.length, config.vocab_size * config.n_embd);
    for (const [name, t] of weights) {
      assert.equal(t.dtype, 'float32');
      assert.equal(t.data.length, t.shape.reduce((a, b) => a * b, 1), name);
      assert.ok(t.data.every(Number.isFinite), name);
    }
    // Bytes on disk are the float32 values, little-endian.
    const raw = readFileSync(path);
    const info = header.tensors.get('transformer.wte.weight')!;
    assert.equal(raw.readFloatLE(info.begin + 4 * 5), wte.data[5]);
  });

  test('reads only the selected tensors, and integer tensors as integers', async () => {
    const path = join(FIXTURES, 'gpt2/reference.safetensors');
    const selected = await readSafetensors(path, { names: ['logits'] });
    assert.deepEqual([...selected.keys()], ['logits']);
    assert.deepEqual(selected.get('logits')!.shape, [2, 21, 96]);
    const file = await openSafetensors(path);
    try {
      const ids = await file.readInt('input_ids');
      assert.equal(ids.dtype, 'int64');
      assert.deepEqual(ids.shape, [2, 21]);
      // Row 0 (clean) and row 1 (counterfactual) differ only in the root value token.
      const row0 = [...ids.data.slice(0, 21)];
      const row1 = [...ids.data.slice(21)];
      assert.equal(row0.filter((v, i) => v !== row1[i]).length, 1);
      await rejectsWith(file.readFloat('input_ids'), "'input_ids'", 'I64', 'cannot be loaded as floats');
      await rejectsWith(file.readInt('logits'), "'logits'", 'F32', 'cannot be loaded as integers');
      await rejectsWith(file.readFloat('nope'), "no tensor named 'nope'", path);
    } finally {
      await file.close();
    }
    await rejectsWith(readSafetensors(path), 'input_ids', 'I64');
  });
});

describe('writing', () => {
  test('round-trips float32 exactly, with metadata, an 8-byte aligned header and no temp files left', async () => {
    const path = join(dir, 'f32.safetensors');
    const a = new Float32Array([1.5, -2.25, 3e-39, Infinity, -0, 1234.5678]);
    const b = new Float32Array(0);
    await writeSafetensors(path, { a: { dtype: 'float32', shape: [2, 3], data: a }, empty: { dtype: 'float32', shape: [0, 4], data: b } }, { format: 'pt', note: 'x' });
    const header = await readSafetensorsHeader(path);
    assert.deepEqual(header.metadata, { format: 'pt', note: 'x' });
    assert.equal(header.tensors.get('a')!.begin % 8, 0);
    const back = await readSafetensors(path);
    assert.deepEqual(back.get('a'), { dtype: 'float32', shape: [2, 3], data: a });
    assert.deepEqual(back.get('empty')!.shape, [0, 4]);
    assert.equal(back.get('empty')!.data.length, 0);
    assert.deepEqual(readdirSync(dir).filter((f) => f.endsWith('.tmp')), []);
  });

  test('round-trips int32 (as I32) next to floats', async () => {
    const path = join(dir, 'i32.safetensors');
    const ids = Int32Array.from([0, -1, 2 ** 31 - 1, -(2 ** 31), 7, 42]);
    await writeSafetensors(path, { ids: { dtype: 'int32', shape: [3, 2], data: ids }, x: { dtype: 'float32', shape: [1], data: Float32Array.of(0.5) } });
    assert.equal((await readSafetensorsHeader(path)).tensors.get('ids')!.dtype, 'I32');
    const file = await openSafetensors(path);
    try {
      const back = await file.readInt('ids');
      assert.deepEqual(back.shape, [3, 2]);
      assert.deepEqual(Array.from(back.data, Number), Array.from(ids));
      assert.deepEqual(Array.from((await file.readFloat('x')).data), [0.5]);
    } finally {
      await file.close();
    }
  });
  test('stores float16 and bfloat16 rounded to nearest even, and reads them back widened', async () => {
    const path = join(dir, 'half.safetensors');
    const values = new Float32Array([0, -0, 1, -1, 0.1, 3.14159, 65504, 65520, 1e-7, 6e-8, 1e-30, 3.4e38, NaN, -Infinity]);
    await writeSafetensors(path, {
      h: { dtype: 'float16', shape: [values.length], data: values },
      b: { dtype: 'bfloat16', shape: [values.length], data: values },
    });
    const header = await readSafetensorsHeader(path);
    assert.equal(header.tensors.get('h')!.dtype, 'F16');
    assert.equal(header.tensors.get('b')!.dtype, 'BF16');
    const raw = readFileSync(path);
    const back = await readSafetensors(path);
    values.forEach((v, i) => {
      const hBits = raw.readUInt16LE(header.tensors.get('h')!.begin + 2 * i);
      const bBits = raw.readUInt16LE(header.tensors.get('b')!.begin + 2 * i);
      assert.equal(hBits, float32ToFloat16Bits(v));
      assert.equal(bBits, float32ToBfloat16Bits(v));
      assert.ok(Object.is(back.get('h')!.data[i], float16BitsToFloat32(hBits)));
      assert.ok(Object.is(back.get('b')!.data[i], bfloat16BitsToFloat32(bBits)));
    });
    assert.equal(back.get('h')!.data[7], Infinity); // 65520 is the first value that rounds past the largest half
    assert.equal(back.get('h')!.data[6], 65504);
    assert.ok(Number.isNaN(back.get('h')!.data[12]) && Number.isNaN(back.get('b')!.data[12]));
  });

  test('concurrent writes of one file each land whole', async () => {
    const path = join(dir, 'concurrent.safetensors');
    const versions = [1, 2, 3].map((v) => ({ w: { dtype: 'float32' as const, shape: [1000], data: new Float32Array(1000).fill(v) } }));
    await Promise.all(versions.map((t) => writeSafetensors(path, t)));
    const data = (await readSafetensors(path)).get('w')!.data;
    assert.ok([1, 2, 3].includes(data[0]) && data.every((x) => x === data[0]));
    assert.deepEqual(readdirSync(dir).filter((f) => f.endsWith('.tmp')), []);
    await rejectsWith(readSafetensors(path, { names: ['w', 'v'] }), "no tensor named 'v'");
  });

  test('rejects data that does not fill its shape, and leaves no file behind', async () => {
    const path = join(dir, 'bad-write.safetensors');
    await rejectsWith(
      writeSafetensors(path, { w: { dtype: 'float32', shape: [2, 2], data: new Float32Array(3) } }),
      "tensor 'w'", 'needs 4 values, data has 3',
    );
    await rejectsWith(
      writeSafetensors(path, { w: { dtype: 'int8' as 'float32', shape: [1], data: new Float32Array(1) } }),
      "cannot store dtype 'int8'",
    );
    assert.ok(!readdirSync(dir).includes('bad-write.safetensors'));
    await assert.rejects(writeSafetensors(join(dir, 'no/such/dir/x.safetensors'), {}));
  });
});

describe('half-precision conversion', () => {
  test('float16: every finite half survives float32 and back; midpoints round to even', () => {
    for (let bits = 0; bits < 0x10000; bits++) {
      const v = float16BitsToFloat32(bits);
      if (Number.isNaN(v)) {
        assert.ok(Number.isNaN(float16BitsToFloat32(float32ToFloat16Bits(v))));
        continue;
      }
      assert.equal(float32ToFloat16Bits(v), bits, `bits ${bits.toString(16)}`);
      // Between this positive half and the next one up, the exact midpoint goes to the even one.
      if (bits < 0x7bff) {
        const next = float16BitsToFloat32(bits + 1);
        const mid = (v + next) / 2; // exact in float32: halves have 11 significant bits
        const even = bits % 2 === 0 ? bits : bits + 1;
        assert.equal(float32ToFloat16Bits(mid), even, `midpoint above ${bits.toString(16)}`);
        assert.equal(float32ToFloat16Bits(Math.fround(mid + (next - v) / 8)), bits + 1);
        assert.equal(float32ToFloat16Bits(Math.fround(mid - (next - v) / 8)), bits);
      }
    }
    assert.equal(float32ToFloat16Bits(1e6), 0x7c00);
    assert.equal(float32ToFloat16Bits(-1e6), 0xfc00);
    assert.equal(float32ToFloat16Bits(2 ** -25), 0); // exactly half the smallest subnormal: ties to even (zero)
    assert.equal(float32ToFloat16Bits(Math.fround(2 ** -25 * 1.0001)), 1);
  });

  test('bfloat16: every finite bfloat16 survives float32 and back; midpoints round to even', () => {
    for (let bits = 0; bits < 0x10000; bits++) {
      const v = bfloat16BitsToFloat32(bits);
      if (Number.isNaN(v)) {
        assert.ok(Number.isNaN(bfloat16BitsToFloat32(float32ToBfloat16Bits(v))));
        continue;
      }
      assert.equal(float32ToBfloat16Bits(v), bits);
      if (bits < 0x7f7f) {
        const next = bfloat16BitsToFloat32(bits + 1);
        const mid = (v + next) / 2;
        const even = bits % 2 === 0 ? bits : bits + 1;
        assert.equal(float32ToBfloat16Bits(mid), even);
      }
    }
    assert.equal(float32ToBfloat16Bits(3.4e38), 0x7f80); // rounds past the largest bfloat16 to Inf
  });
});

describe('broken files', () => {
  const goodHeader = { w: { dtype: 'F32', shape: [2, 3], data_offsets: [0, 24] } };

  test('a missing file names the path', async () => {
    await rejectsWith(readSafetensors(join(dir, 'missing.safetensors')), 'missing.safetensors', 'ENOENT');
  });

  test('a file shorter than the length prefix', async () => {
    const path = join(dir, 'tiny.safetensors');
    writeFileSync(path, Buffer.from([1, 2, 3]));
    await rejectsWith(readSafetensors(path), path, 'truncated', '3 bytes');
  });

  test('a header length larger than the file', async () => {
    const path = join(dir, 'longheader.safetensors');
    const buf = Buffer.alloc(40);
    buf.writeBigUInt64LE(1000n);
    writeFileSync(path, buf);
    await rejectsWith(readSafetensors(path), path, 'header length 1000 is larger than the file (40 bytes)');
    // A text file read as safetensors: its first 8 bytes make an absurd length.
    const text = join(dir, 'text.safetensors');
    writeFileSync(text, 'this is not a safetensors file at all');
    await rejectsWith(readSafetensors(text), 'larger than the file');
  });

  test('a header that is not JSON, or not an object', async () => {
    await rejectsWith(readSafetensors(rawFile('badjson.safetensors', null, 24, '{"w": {"dtype": "F32",')), 'badjson.safetensors', 'not valid JSON');
    await rejectsWith(readSafetensors(rawFile('array.safetensors', [1, 2], 0)), 'not a JSON object');
    await rejectsWith(readSafetensors(rawFile('meta.safetensors', { __metadata__: { a: 1 } }, 0)), '__metadata__');
  });

  test('a truncated data section names the tensor', async () => {
    const path = rawFile('truncated.safetensors', goodHeader, 24);
    assert.equal((await readSafetensors(path)).get('w')!.data.length, 6);
    const cut = join(dir, 'cut.safetensors');
    writeFileSync(cut, readFileSync(path).subarray(0, readFileSync(path).length - 5));
    await rejectsWith(readSafetensors(cut), 'cut.safetensors', "tensor 'w'", 'run past the data section (19 bytes)');
  });

  test('a header that lies about sizes', async () => {
    const lie = { w: { dtype: 'F32', shape: [2, 3], data_offsets: [0, 20] } };
    await rejectsWith(readSafetensors(rawFile('lie.safetensors', lie, 24)), "tensor 'w'", 'hold 20 bytes', 'F32 [2,3] needs 24');
    const halfLie = { w: { dtype: 'BF16', shape: [2, 3], data_offsets: [0, 24] } };
    await rejectsWith(readSafetensors(rawFile('lie16.safetensors', halfLie, 24)), 'hold 24 bytes', 'needs 12');
    const backwards = { w: { dtype: 'F32', shape: [0], data_offsets: [8, 0] } };
    await rejectsWith(readSafetensors(rawFile('backwards.safetensors', backwards, 24)), 'not a [begin, end] byte range');
    const badShape = { w: { dtype: 'F32', shape: [2, -3], data_offsets: [0, 24] } };
    await rejectsWith(readSafetensors(rawFile('shape.safetensors', badShape, 24)), 'shape [2,-3]');
  });

  test('overlapping tensors', async () => {
    const overlap = {
      a: { dtype: 'F32', shape: [4], data_offsets: [0, 16] },
      b: { dtype: 'F32', shape: [4], data_offsets: [8, 24] },
    };
    await rejectsWith(readSafetensors(rawFile('overlap.safetensors', overlap, 24)), "'a' and 'b' overlap");
  });

  test('an unsupported dtype is named', async () => {
    const odd = { w: { dtype: 'F17', shape: [2], data_offsets: [0, 4] } };
    await rejectsWith(readSafetensors(rawFile('f17.safetensors', odd, 4)), "tensor 'w'", "unsupported dtype 'F17'");
    const fp8 = { w: { dtype: 'F8_E4M3', shape: [4], data_offsets: [0, 4] } };
    const path = rawFile('fp8.safetensors', fp8, 4);
    assert.equal((await readSafetensorsHeader(path)).tensors.get('w')!.dtype, 'F8_E4M3');
    await rejectsWith(readSafetensors(path), "tensor 'w' has dtype F8_E4M3", 'supported: F32, F16, BF16, F64');
  });
});
