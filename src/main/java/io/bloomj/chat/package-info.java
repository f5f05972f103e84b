/** Conversation formats: {@link io.bloomj.chat.ChatFormat} renders turns the way BLOOMZ chat models were trained. */
package io.bloomj.chat;
