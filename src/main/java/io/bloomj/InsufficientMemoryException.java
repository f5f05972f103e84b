package io.bloomj;

/** A model or session that does not fit a device: says how much is needed and how much there is. */
public final class InsufficientMemoryException extends BloomjException {
    private final long needed;
    private final long available;

    public InsufficientMemoryException(String device, String what, long needed, long available) {
        super(String.format(java.util.Locale.ROOT, "%s does not fit on %s: needs %.2f GB, the device has %.2f GB",
                what, device, needed / 1e9, available / 1e9));
        this.needed = needed;
        this.available = available;
    }

    public long needed() {
        return needed;
    }

    public long available() {
        return available;
    }
}
