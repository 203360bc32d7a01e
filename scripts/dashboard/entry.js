// The graph libraries the dashboard's network view needs, exposed as one global.
// Bundled by build.sh into src/limelight/spotlight/dashboard/static/vendor/graph.min.js.
import Graph from "graphology";
import Sigma from "sigma";

window.LimelightGraph = { Graph, Sigma };
