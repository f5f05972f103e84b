package io.bloomj.compute.opencl;

import io.bloomj.compute.Weight;

import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * A weight matrix resident on the device, as one or more row blocks: a matrix larger than the
 * device's largest single allocation (the 250880-row embedding is 1.28 GB for bloomz-3b) is split,
 * and every kernel that reads it is launched once per block.
 */
record DeviceWeight(Weight weight, List<Block> blocks) {
    record Block(MemorySegment mem, int row0, int rows) {}
}
