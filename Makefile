# The README's two commands.
.PHONY: demo test demo-stop services-stop
demo:
	bash scripts/demo.sh
test:
	bash scripts/test.sh
demo-stop:
	bash scripts/demo.sh stop
services-stop:
	bash scripts/services.sh stop
