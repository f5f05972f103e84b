/** {@code bloomj report}: JMH and bench results to PNG charts (XChart), an HTML page and a Markdown summary. */
package io.bloomj.report;
