"""The AWS Lambda adapter: environment and events in, reports in S3 and a JSON result out.

``auditor.lambda_handler.handler`` (what the SAM template names) is ``handler.handler``
here. ``settings`` reads the environment, ``events`` validates the event, ``store`` writes
and reads the report bucket, ``manifest`` reads a Step Functions Distributed Map's results,
``results`` declares the shapes the function returns, ``runner`` and ``aggregate`` do what
an event asks, and ``notify`` publishes the summary to SNS.
"""
