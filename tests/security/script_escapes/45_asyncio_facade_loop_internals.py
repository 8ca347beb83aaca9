# expect: has no attribute 'events'
import asyncio

asyncio.events.get_event_loop()
