/** Mocha setup (.mocharc.json): the AWS SDK's multi-line Node-version notice stays out of the test report. */
import { quietNodeVersionNotice } from "../../deploy/aws-clients";

quietNodeVersionNotice();
