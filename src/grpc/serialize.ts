// How every generated service definition turns a message into the bytes grpc-js sends (gen-proto.mjs
// points their serializers here). ts-proto's own `Buffer.from(X.encode(v).finish())` grows a new
// writer from 128 bytes by doubling, copies in finish() and copies again into the Buffer; here one
// writer, grown once, is reused, and its bytes are copied once into a (pooled) Buffer.
import { BinaryWriter } from "@bufbuild/protobuf/wire";

/** A generated message type's encoder (what ts-proto emits as `X.encode`). */
export interface Encoder<T> {
  encode(message: T, writer?: BinaryWriter): BinaryWriter;
}

/** The writer's own state, as @bufbuild/protobuf 2.17 keeps it (private in its types, public at run
 * time). Read only if a probe at load shows that shape; otherwise finish() serves, a copy more. */
interface WriterState {
  buffer: Uint8Array;
  pos: number;
}

function readable(w: BinaryWriter): boolean {
  const state = w as unknown as Partial<WriterState>;
  w.uint32(300); // 0xac 0x02
  const { buffer, pos } = state;
  const written = w.finish().length;
  return (
    buffer instanceof Uint8Array &&
    pos === 2 &&
    buffer[0] === 0xac &&
    buffer[1] === 0x02 &&
    written === 2 &&
    state.pos === 0
  );
}

/** True when the reused writer's bytes are read in place (see WriterState). A test holds it true, so
 * a @bufbuild/protobuf upgrade that changes the writer is noticed instead of silently costing a copy. */
export const writerReadInPlace = readable(new BinaryWriter());

/** Beyond this, the writer's buffer is let go after the message: one large message should not pin its
 * buffer for the life of the process. */
const KEEP_BYTES = 64 * 1024;

let writer = new BinaryWriter();
/** Set while the shared writer is in use: an encode that starts another (a getter that serializes)
 * gets a writer of its own instead of writing into the middle of the first message. */
let busy = false;

/** Messages sent to many receivers as the same object (see `shareEncoding`): null until first encoded. */
const shared = new WeakMap<object, Buffer | null>();

/**
 * Marks `message` as sent to many receivers (a watch event to every watcher): it is encoded at its
 * first send and the same bytes go to the others. It must not change after this call.
 */
export function shareEncoding<T extends object>(message: T): T {
  shared.set(message, null);
  return message;
}

/**
 * A message received as bytes and passed on unchanged (a relayed stream): it serializes to exactly
 * those bytes. Its fields are not there: it is only for writing to a call of the same message type.
 */
export function encodedAs<T>(bytes: Buffer): T {
  const standIn = {};
  shared.set(standIn, bytes);
  return standIn as T;
}

/**
 * A message decoded from `bytes` that may be written on unchanged (a hop that forwards what it reads):
 * it serializes to those bytes again. It must not change after this call.
 */
export function keepEncoding<T extends object>(message: T, bytes: Buffer): T {
  shared.set(message, bytes);
  return message;
}

/** The message's bytes: `codec.encode` into the reused writer, copied once into a Buffer. */
export function serialize<T>(codec: Encoder<T>, message: T): Buffer {
  const cached = shared.get(message as object);
  if (cached) return cached;
  const kept = cached === null;
  const bytes = busy ? wrap(codec.encode(message).finish()) : encodeReused(codec, message, kept);
  if (kept) shared.set(message as object, bytes);
  return bytes;
}

/** `kept`: the bytes live as long as the message (a registry entry's), so they get memory of their
 * own: a slice of Buffer's shared 8 KiB pool would keep the whole pool block alive with them. */
function encodeReused<T>(codec: Encoder<T>, message: T, kept: boolean): Buffer {
  busy = true;
  try {
    codec.encode(message, writer);
    let bytes: Buffer;
    if (writerReadInPlace) {
      const state = writer as unknown as WriterState;
      bytes = kept ? Buffer.allocUnsafeSlow(state.pos) : Buffer.allocUnsafe(state.pos);
      bytes.set(state.buffer.subarray(0, state.pos));
      state.pos = 0;
    } else bytes = wrap(writer.finish());
    if (bytes.length > KEEP_BYTES) writer = new BinaryWriter();
    return bytes;
  } catch (error) {
    writer = new BinaryWriter(); // its position and open forks are wherever the encode stopped
    throw error;
  } finally {
    busy = false;
  }
}

/** A Buffer over the same memory (no copy). */
function wrap(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
