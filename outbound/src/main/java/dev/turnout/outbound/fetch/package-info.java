/**
 * Downloads of lists (rule providers, proxy subscriptions) over HTTP through an outbound, so that
 * they leave on Turnout's marked sockets or through a proxy: {@link
 * dev.turnout.outbound.fetch.HttpFetcher}.
 */
package dev.turnout.outbound.fetch;
