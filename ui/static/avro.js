// Avro binary decoding with a local schema (http.avro.schema.dir/<topic>.avsc,
// served by GET /api/v1/topics/<t>/schema).  Decodes the Avro 1.11 binary
// encoding of every schema type: primitives (long as BigInt when beyond
// 2^53), records, enums, arrays and maps (block-encoded, negative block
// counts with sizes), unions, fixed, named-type references; logical types
// show their underlying value.  Values framed the Confluent way (magic 0 +
// 4-byte schema id) are unwrapped.  Decoding must consume every byte, so a
// message that is not Avro of this schema is reported, not mis-shown.

class Reader {
  constructor(bytes) { this.b = bytes; this.i = 0; }
  need(n) {
    if (this.i + n > this.b.length) throw new Error('Avro: data ends early at byte ' + this.i);
  }
  byte() { this.need(1); return this.b[this.i++]; }
  long() {
    let n = 0n;
    let shift = 0n;
    for (;;) {
      const c = this.byte();
      n |= BigInt(c & 0x7f) << shift;
      if (!(c & 0x80)) break;
      shift += 7n;
      if (shift > 63n) throw new Error('Avro: varint too long at byte ' + this.i);
    }
    const v = (n >> 1n) ^ -(n & 1n);
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  }
  int() {
    const v = this.long();
    if (typeof v !== 'number' || v < -2147483648 || v > 2147483647) throw new Error('Avro: int out of range');
    return v;
  }
  bytes(n) {
    if (n < 0) throw new Error('Avro: negative length');
    this.need(n);
    const out = this.b.slice(this.i, this.i + n);
    this.i += n;
    return out;
  }
  count() {
    const n = Number(this.long());
    if (n < 0) { this.long(); return -n; } // a block size follows a negative count
    return n;
  }
}

const PRIMITIVES = new Set(['null', 'boolean', 'int', 'long', 'float', 'double', 'bytes', 'string']);

// Resolves a schema (JSON value) into a tree with named types linked.
export function parseSchema(json) {
  const named = new Map();
  const walk = (s, ns) => {
    if (typeof s === 'string') {
      if (PRIMITIVES.has(s)) return { type: s };
      const full = s.includes('.') || !ns ? s : ns + '.' + s;
      const t = named.get(full) || named.get(s);
      if (!t) throw new Error('Avro schema: unknown type ' + s);
      return t;
    }
    if (Array.isArray(s)) return { type: 'union', branches: s.map((b) => walk(b, ns)) };
    if (typeof s !== 'object' || s === null) throw new Error('Avro schema: bad type');
    if (PRIMITIVES.has(s.type)) return { type: s.type, logical: s.logicalType };
    const name = s.name && (s.name.includes('.') || !(s.namespace || ns) ? s.name : (s.namespace || ns) + '.' + s.name);
    const inner = s.namespace || (name && name.includes('.') ? name.slice(0, name.lastIndexOf('.')) : ns);
    switch (s.type) {
      case 'record': case 'error': {
        const t = { type: 'record', name, fields: [] };
        named.set(name, t);
        for (const f of s.fields || []) t.fields.push({ name: f.name, type: walk(f.type, inner) });
        return t;
      }
      case 'enum': {
        const t = { type: 'enum', name, symbols: s.symbols || [] };
        named.set(name, t);
        return t;
      }
      case 'fixed': {
        const t = { type: 'fixed', name, size: s.size, logical: s.logicalType };
        named.set(name, t);
        return t;
      }
      case 'array': return { type: 'array', items: walk(s.items, ns) };
      case 'map': return { type: 'map', values: walk(s.values, ns) };
      default: return walk(s.type, ns);
    }
  };
  return walk(json, '');
}

function read(r, t) {
  switch (t.type) {
    case 'null': return null;
    case 'boolean': return r.byte() !== 0;
    case 'int': return r.int();
    case 'long': return r.long();
    case 'float': { r.need(4); const v = new DataView(r.b.buffer, r.b.byteOffset + r.i, 4).getFloat32(0, true); r.i += 4; return v; }
    case 'double': { r.need(8); const v = new DataView(r.b.buffer, r.b.byteOffset + r.i, 8).getFloat64(0, true); r.i += 8; return v; }
    case 'bytes': return hex(r.bytes(Number(r.long())));
    case 'string': return new TextDecoder().decode(r.bytes(Number(r.long())));
    case 'fixed': return hex(r.bytes(t.size));
    case 'enum': {
      const k = r.int();
      if (k < 0 || k >= t.symbols.length) throw new Error('Avro: enum index ' + k + ' out of range');
      return t.symbols[k];
    }
    case 'union': {
      const k = r.int();
      if (k < 0 || k >= t.branches.length) throw new Error('Avro: union branch ' + k + ' out of range');
      return read(r, t.branches[k]);
    }
    case 'record': {
      const o = {};
      for (const f of t.fields) o[f.name] = read(r, f.type);
      return o;
    }
    case 'array': {
      const a = [];
      for (let n = r.count(); n !== 0; n = r.count()) for (let i = 0; i < n; i++) a.push(read(r, t.items));
      return a;
    }
    case 'map': {
      const m = {};
      for (let n = r.count(); n !== 0; n = r.count()) {
        for (let i = 0; i < n; i++) {
          const k = new TextDecoder().decode(r.bytes(Number(r.long())));
          m[k] = read(r, t.values);
        }
      }
      return m;
    }
    default: throw new Error('Avro: unsupported type ' + t.type);
  }
}

function hex(b) { return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(''); }

function decodeWhole(bytes, schema) {
  const r = new Reader(bytes);
  const v = read(r, schema);
  if (r.i !== bytes.length) throw new Error(`Avro: ${bytes.length - r.i} bytes left after the value`);
  return v;
}

// Decodes bytes (Uint8Array) with a parsed schema; returns pretty JSON text
// (BigInt longs written as numbers), or throws with the reason.
export function decodeAvro(bytes, schema) {
  let v;
  let framing = '';
  try {
    v = decodeWhole(bytes, schema);
  } catch (e) {
    if (bytes.length >= 5 && bytes[0] === 0) {
      const id = new DataView(bytes.buffer, bytes.byteOffset + 1, 4).getInt32(0, false);
      v = decodeWhole(bytes.subarray(5), schema);
      framing = `// Confluent framing, schema id ${id}\n`;
    } else {
      throw e;
    }
  }
  // longs beyond 2^53 are shown as strings: JSON numbers would round them
  return framing + JSON.stringify(v, (k, x) => (typeof x === 'bigint' ? `${x}` : x), 2);
}
