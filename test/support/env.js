/**
 * Jest setup for every test file: the tests run on Node.js 20 here, where the AWS SDK reminds, once per process, that
 * its future versions need Node.js 22 (the Lambda runtime Lethe targets). The reminder is not about the code under
 * test, and it drowned the run's output (37 times), so it is silenced the SDK's documented way.
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
