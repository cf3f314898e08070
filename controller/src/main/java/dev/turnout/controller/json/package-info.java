/**
 * A small JSON writer and reader for the controller's API: the shapes are fixed and the request
 * bodies tiny, so two classes that are easy to test exhaustively serve better than a data-binding
 * library in the proxy's jar.
 */
package dev.turnout.controller.json;
