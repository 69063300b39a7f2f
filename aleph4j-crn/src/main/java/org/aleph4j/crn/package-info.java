/** The compute resource node: configuration ({@link org.aleph4j.crn.CrnConfig}) and wiring ({@link org.aleph4j.crn.CrnNode}). */
package org.aleph4j.crn;
