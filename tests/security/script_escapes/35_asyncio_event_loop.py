# expect: has no attribute 'get_event_loop'
import asyncio

asyncio.get_event_loop().run_in_executor(None, print)
