package io.bloomj.tornado;

import uk.ac.manchester.tornado.api.TornadoBackend;
import uk.ac.manchester.tornado.api.TornadoExecutionPlan;
import uk.ac.manchester.tornado.api.common.TornadoDevice;

import java.util.ArrayList;
import java.util.List;

/** TornadoVM's devices, found once; a JVM without the SDK on its module path gets a reason instead. */
final class TornadoDevices {
    private TornadoDevices() {}

    record Found(String name, String driver, String type, long globalMemory, long maxAllocation, TornadoDevice device) {}

    private static volatile List<Found> found;
    private static volatile String unavailable;

    static String unavailableReason() {
        discover();
        return unavailable;
    }

    static List<Found> all() {
        discover();
        return found;
    }

    private static synchronized void discover() {
        if (found != null || unavailable != null) return;
        if (ModuleLayer.boot().findModule("tornado.runtime").isEmpty()) {
            unavailable = "TornadoVM is not on the module path (set TORNADOVM_HOME to a TornadoVM 5.2 SDK; bin/bloomj then adds its JVM flags)";
            return;
        }
        // A whole model is one task graph of hundreds of tasks: TornadoVM's bytecode buffer for a
        // graph (4 KB by default) must hold it, or the graph fails to schedule with no message.
        if (System.getProperty("tornado.tvm.maxbytecodesize") == null) System.setProperty("tornado.tvm.maxbytecodesize", String.valueOf(1 << 22));
        // TornadoVM caps what it allocates on a device at tornado.device.memory (4 GB by default),
        // whatever the device has. bloomj plans the memory itself (TornadoVmBackend#plan checks every
        // plan against the device's global memory), so unless the user set the cap it is lifted.
        if (System.getProperty("tornado.device.memory") == null) System.setProperty("tornado.device.memory", "1024GB");
        try {
            List<Found> out = new ArrayList<>();
            for (TornadoBackend b : TornadoExecutionPlan.getTornadoDeviceMap().getAllBackends()) {
                for (int i = 0; i < b.getNumDevices(); i++) {
                    TornadoDevice d = b.getDevice(i);
                    out.add(new Found(d.getPhysicalDevice().getDeviceName().trim(), b.getBackendType().toString(), d.getDeviceType().toString(),
                            d.getMaxGlobalMemory(), d.getMaxAllocMemory(), d));
                }
            }
            if (out.isEmpty()) unavailable = "TornadoVM found no device";
            else found = List.copyOf(out);
        } catch (RuntimeException | LinkageError e) {
            unavailable = "TornadoVM could not start: " + e;
        }
    }
}
