package io.bloomj.compute.device;

import io.bloomj.tensor.Weight;

import java.util.List;

/**
 * A weight matrix resident on a device, as one or more row blocks: a matrix larger than the
 * device's largest single allocation (the 250880-row embedding is 1.28 GB for bloomz-3b) is split,
 * and every kernel that reads it is launched once per block. A Q8_0 block carries the scales of
 * its rows; a float block has none ({@code scales} null).
 */
public record DeviceMatrix(Weight weight, List<Block> blocks) {
    public record Block(DeviceBuffer buffer, DeviceBuffer scales, int row0, int rows) {}

    public DeviceMatrix {
        blocks = List.copyOf(blocks);
    }
}
