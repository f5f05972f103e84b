package io.bloomj.compute.opencl;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static io.bloomj.compute.opencl.OpenCl.call;
import static io.bloomj.compute.opencl.OpenCl.check;
import static io.bloomj.compute.opencl.OpenCl.checkErr;

/** A context and an in-order, profiling-capable command queue on one device. */
final class ClContext implements AutoCloseable {
    final OpenCl cl;
    final ClDevice device;
    final MemorySegment context;
    final MemorySegment queue;
    private final Arena arena = Arena.ofShared();

    ClContext(OpenCl cl, ClDevice device) {
        this.cl = cl;
        this.device = device;
        MemorySegment err = arena.allocate(ValueLayout.JAVA_INT);
        MemorySegment devices = arena.allocate(ValueLayout.ADDRESS);
        devices.set(ValueLayout.ADDRESS, 0, device.id());
        MemorySegment props = arena.allocate(ValueLayout.JAVA_LONG, 3);
        props.setAtIndex(ValueLayout.JAVA_LONG, 0, 0x1084);                  // CL_CONTEXT_PLATFORM
        props.setAtIndex(ValueLayout.JAVA_LONG, 1, device.platform().address());
        props.setAtIndex(ValueLayout.JAVA_LONG, 2, 0);
        context = (MemorySegment) call(cl.clCreateContext, props, 1, devices, MemorySegment.NULL, MemorySegment.NULL, err);
        checkErr(err, "clCreateContext(" + device.name() + ")");
        queue = (MemorySegment) call(cl.clCreateCommandQueue, context, device.id(), OpenCl.CL_QUEUE_PROFILING_ENABLE, err);
        checkErr(err, "clCreateCommandQueue(" + device.name() + ")");
    }

    void release(MemorySegment mem) {
        if (mem != null && !mem.equals(MemorySegment.NULL)) cl.release(cl.clReleaseMemObject, mem);
    }

    void finish() {
        check(cl.finish(queue), "clFinish");
    }

    @Override
    public void close() {
        cl.release(cl.clReleaseCommandQueue, queue);
        cl.release(cl.clReleaseContext, context);
        arena.close();
    }
}
