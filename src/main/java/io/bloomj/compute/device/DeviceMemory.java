package io.bloomj.compute.device;

import java.lang.foreign.MemorySegment;

/**
 * The memory of one device, as every device backend needs it: allocate (zeroed), free, copy in and
 * out, and how much there is. The device API supplies the raw calls; this class keeps the account
 * (bytes allocated now, the peak) that memory planning and {@code bloomj bench} read.
 */
public abstract class DeviceMemory {
    private long allocated;
    private long peak;

    /** The device's name, for messages. */
    public abstract String deviceName();

    /** Bytes that may still be allocated now. */
    public abstract long availableBytes();

    /** The largest single allocation the device accepts. */
    public abstract long maxAllocation();

    /** Allocates {@code bytes} of zeroed memory; returns its address or handle. */
    protected abstract long allocateZeroed(long bytes, String what);

    protected abstract void release(long address);

    /** Copies {@code bytes} from host {@code src} to {@code dst + offset}, blocking. */
    protected abstract void copyIn(long dst, long offset, MemorySegment src, long bytes);

    /** Copies {@code bytes} from {@code src + offset} to host {@code dst}, blocking (after the work queued before it). */
    protected abstract void copyOut(long src, long offset, MemorySegment dst, long bytes);

    public final DeviceBuffer allocate(long bytes, String what) {
        long address = allocateZeroed(bytes, what);
        synchronized (this) {
            allocated += bytes;
            peak = Math.max(peak, allocated);
        }
        return new DeviceBuffer(address, bytes, what);
    }

    public final void free(DeviceBuffer b) {
        if (b == null) return;
        release(b.address());
        synchronized (this) {
            allocated -= b.bytes();
        }
    }

    public final void write(DeviceBuffer dst, long offset, MemorySegment src, long bytes) {
        checkRange(dst, offset, bytes);
        copyIn(dst.address(), offset, src, bytes);
    }

    public final void read(DeviceBuffer src, long offset, MemorySegment dst, long bytes) {
        checkRange(src, offset, bytes);
        copyOut(src.address(), offset, dst, bytes);
    }

    private static void checkRange(DeviceBuffer b, long offset, long bytes) {
        if (offset < 0 || bytes < 0 || offset + bytes > b.bytes()) {
            throw new IndexOutOfBoundsException(bytes + " bytes at " + offset + " outside " + b);
        }
    }

    public final synchronized long allocated() {
        return allocated;
    }

    public final synchronized long peak() {
        return peak;
    }
}
