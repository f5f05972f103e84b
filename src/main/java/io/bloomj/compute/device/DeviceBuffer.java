package io.bloomj.compute.device;

/**
 * A block of device memory: its address as the device API knows it (a {@code cl_mem} handle or a
 * CUDA device pointer; either travels as an 8-byte kernel argument), its size and what it holds.
 */
public record DeviceBuffer(long address, long bytes, String name) {
    @Override
    public String toString() {
        return name + " (" + bytes + " bytes)";
    }
}
