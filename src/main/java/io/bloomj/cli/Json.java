package io.bloomj.cli;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;

/** One JSON object written to a stream with Jackson's streaming generator (logits are large). */
final class Json implements AutoCloseable {
    private static final JsonFactory FACTORY = new JsonFactory();
    private final JsonGenerator g;
    private final PrintWriter out;

    Json(PrintWriter out) {
        this.out = out;
        try {
            g = FACTORY.createGenerator(out);
            g.disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);
            g.writeStartObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    Json field(String name, Object value) {
        try {
            g.writeFieldName(name);
            switch (value) {
                case null -> g.writeNull();
                case Integer i -> g.writeNumber(i);
                case Long l -> g.writeNumber(l);
                case Double d when d.isNaN() || d.isInfinite() -> g.writeNull();
                case Double d -> g.writeNumber(d);
                case Float f -> g.writeNumber(f);
                case Boolean b -> g.writeBoolean(b);
                case int[] a -> {
                    g.writeStartArray();
                    for (int v : a) g.writeNumber(v);
                    g.writeEndArray();
                }
                case double[] a -> {
                    g.writeStartArray();
                    for (double v : a) g.writeNumber(v);
                    g.writeEndArray();
                }
                case float[] a -> {
                    g.writeStartArray();
                    for (float v : a) g.writeNumber(v);
                    g.writeEndArray();
                }
                default -> g.writeString(value.toString());
            }
            return this;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A JSON array of strings, as text for {@link #raw}. */
    static String strings(String[] values) {
        try {
            return new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(values);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A field whose value is already JSON text (a nested array or object). */
    Json raw(String name, String json) {
        try {
            g.writeFieldName(name);
            g.writeRawValue(json);
            return this;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        try {
            g.writeEndObject();
            g.flush();
            out.println();
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
